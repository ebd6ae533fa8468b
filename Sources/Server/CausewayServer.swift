import Foundation
import Hummingbird
import Logging
import NIOCore
import Platform

/// `causeway serve`: the API host of GrowthBook's SDKs and the intake of their exposures.
///
/// - `GET /api/features/{sdkKey}`: the payload of every running experiment (`GrowthBookExport`), built
///   when the catalog changes (a fingerprint polled once a second), never per request; `ETag` and
///   `If-None-Match` (304), `Cache-Control`.
/// - `POST /api/exposures` with `Authorization: Bearer {ingestKey}`: a JSON array or NDJSON of
///   `{unit, experiment, variation, timestamp}`, stored with COPY in one transaction; 204 only after
///   the commit; a retried batch is stored once. Bad JSON or an unknown experiment or arm: 400 with a
///   one-line reason, nothing stored; a body over the limit: 413; a wrong key: 401.
/// - `GET /healthz`: 200 with the catalog's state, 503 when the store cannot be reached.
///
/// Requests never wait for the database on the event loop: store work runs on its own threads, one
/// connection each from a small pool. SIGTERM or SIGINT drains: in-flight requests finish (their
/// batches commit or fail) before the process exits. One log line per request, without keys.
public enum CausewayServer {
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        /// The largest request body accepted (413 above it).
        public var maximumBody = 16 * 1024 * 1024
        /// Connections to the store for exposure batches and refreshes.
        public var connections = 4
        /// How often the catalog's fingerprint is read.
        public var refresh: Duration = .seconds(1)

        public init() {}
    }

    /// Runs until SIGTERM or SIGINT. `open` opens a store (called once per pooled connection);
    /// `listening` receives the bound address once the server accepts connections.
    public static func run(_ options: Options, logger: Logger, open: @escaping @Sendable () throws -> Store,
                           listening: @escaping @Sendable (String) -> Void) async throws {
        let pool = StorePool(size: options.connections, open: open)
        let state = ServerState()
        // The first payload before the first request, so that a bad catalog fails the start.
        try await state.refresh(pool: pool, logger: logger, force: true)
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: RequestLog(logger: logger))
        router.get("/healthz") { _, _ -> Response in
            await health(state: state, pool: pool)
        }
        router.get("/api/features/:key") { request, context -> Response in
            let key = context.parameters.get("key") ?? ""
            return features(request: request, key: key, state: state)
        }
        router.post("/api/exposures") { request, context -> Response in
            try await exposures(request: request, context: context, options: options, state: state, pool: pool, logger: logger)
        }
        // The catalog's fingerprint, read once a second for as long as the server runs.
        let refresher = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: options.refresh)
                guard !Task.isCancelled else { break }
                do { try await state.refresh(pool: pool, logger: logger) } catch {
                    logger.error("refresh failed; serving the last payload")
                }
            }
        }
        defer { refresher.cancel() }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "causeway"),
            onServerRunning: { channel in
                listening(channel.localAddress.map { "\($0.ipAddress ?? options.host):\($0.port ?? options.port)" } ?? "\(options.host):\(options.port)")
            },
            logger: logger)
        try await app.runService()
        pool.close()
    }

    static func health(state: ServerState, pool: StorePool) async -> Response {
        let snapshot = state.snapshot
        let reachable = (try? await pool.with { store in try GrowthBookExport.fingerprint(in: store) }) != nil
        let body: [String: Any] = ["status": reachable ? "ok" : "unavailable", "experiments": snapshot.experiments.count,
                                   "payload_etag": snapshot.etag, "refreshed_at": ISO8601DateFormatter().string(from: snapshot.refreshedAt)]
        return json(body, status: reachable ? .ok : .serviceUnavailable)
    }

    static func features(request: Request, key: String, state: ServerState) -> Response {
        let snapshot = state.snapshot
        guard snapshot.verifier.accepts(Substring(key), kind: .sdk) else {
            return problem(.unauthorized, "unknown or revoked SDK key")
        }
        var headers: HTTPFields = [.eTag: snapshot.etag, .cacheControl: "public, max-age=10, stale-while-revalidate=60",
                                   .contentType: "application/json"]
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == snapshot.etag }) {
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentLength] = String(snapshot.payload.readableBytes)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: snapshot.payload))
    }

    static func exposures(request: Request, context: BasicRequestContext, options: Options, state: ServerState, pool: StorePool,
                          logger: Logger) async throws -> Response {
        let snapshot = state.snapshot
        let authorization = request.headers[.authorization] ?? ""
        guard authorization.hasPrefix("Bearer "), snapshot.verifier.accepts(authorization.dropFirst(7), kind: .ingest) else {
            return problem(.unauthorized, "unknown or revoked ingest key (Authorization: Bearer KEY)")
        }
        var request = request
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: options.maximumBody) } catch is NIOTooManyBytesError {
            return problem(.contentTooLarge, "the body is larger than \(options.maximumBody) bytes; send smaller batches")
        }
        let events: [Exposures.Event]
        do { events = try ExposureParser.parse(Data(body.readableBytesView)) } catch let error as ExposureParser.Failure {
            return problem(.badRequest, error.message)
        }
        do {
            _ = try await pool.with { store in try Exposures.store(events, catalog: snapshot.catalog, in: store) }
            return Response(status: .noContent)
        } catch let error as PlatformError where error.code == .invalidInput || error.code == .notFound {
            return problem(.badRequest, error.description)
        } catch let error as PlatformError where error.code == .connectionFailed {
            logger.error("exposures: the store cannot be reached")
            return problem(.serviceUnavailable, "the store cannot be reached; retry the batch")
        } catch {
            logger.error("exposures: the batch was not stored", metadata: ["error": "\(type(of: error))"])
            return problem(.serviceUnavailable, "the batch was not stored; retry it")
        }
    }

    static func problem(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(["error": message], status: status)
    }

    static func json(_ object: [String: Any], status: HTTPResponse.Status) -> Response {
        // never fails: strings and numbers
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// What every request reads: the payload, its ETag, the key verifier and the exposure catalog, all
/// from one refresh, swapped together under a lock.
final class ServerState: @unchecked Sendable {
    struct Snapshot: Sendable {
        var payload = ByteBuffer()
        var etag = "\"\""
        var experiments: [String] = []
        var verifier = ServeKeys.Verifier.none
        var catalog = Exposures.Catalog.empty
        var fingerprint = ""
        var refreshedAt = Date.distantPast
    }

    private let lock = NSLock()
    private var current = Snapshot()

    var snapshot: Snapshot { lock.withLock { current } }

    /// Rebuilds everything when the fingerprint changed (or `force`).
    func refresh(pool: StorePool, logger: Logger, force: Bool = false) async throws {
        let previous = snapshot.fingerprint
        let next = try await pool.with { store -> Snapshot? in
            let fingerprint = try GrowthBookExport.fingerprint(in: store)
            guard force || fingerprint != previous else { return nil }
            let (payload, skipped) = try GrowthBookExport.payload(in: store)
            for (name, reason) in skipped { logger.warning("not served: \(name): \(reason)") }
            return Snapshot(payload: ByteBuffer(bytes: payload.json), etag: "\"\(fingerprint)\"", experiments: payload.experiments,
                            verifier: try ServeKeys.verifier(in: store), catalog: try Exposures.Catalog.load(in: store),
                            fingerprint: fingerprint, refreshedAt: Date())
        }
        lock.withLock {
            if let next { current = next } else { current.refreshedAt = Date() }
        }
        if next != nil { logger.info("payload rebuilt", metadata: ["experiments": "\(snapshot.experiments.count)"]) }
    }
}

/// One log line per request: method, route (the key never: the SDK key in the path is replaced by
/// `{key}`), status, bytes and milliseconds.
struct RequestLog<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let path = request.uri.path.hasPrefix("/api/features/") ? "/api/features/{key}" : String(request.uri.path.prefix(100))
        do {
            let response = try await next(request, context)
            log(request, path: path, status: response.status.code, bytes: response.headers[.contentLength] ?? "-", start: start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            log(request, path: path, status: status, bytes: "-", start: start)
            throw error
        }
    }

    private func log(_ request: Request, path: String, status: Int, bytes: String, start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        logger.info("request", metadata: ["method": "\(request.method.rawValue)", "path": "\(path)", "status": "\(status)",
                                          "bytes": "\(bytes)", "ms": "\(String(format: "%.2f", ms))"])
    }
}
