import Dispatch
import Foundation
import Platform

/// A few stores (database connections) for the server's requests. Each job runs on a thread of its
/// own, never on the event loop, since the store's calls block; at most `size` run at once.
final class StorePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [Store] = []
    private var closed = false
    private let open: @Sendable () throws -> Store
    private let slots: DispatchSemaphore
    private let queue = DispatchQueue(label: "causeway.serve.store", attributes: .concurrent)

    init(size: Int, open: @escaping @Sendable () throws -> Store) {
        self.open = open
        slots = DispatchSemaphore(value: max(1, size))
    }

    /// Runs `body` with a store on a pool thread. A store whose job failed for a reason other than
    /// refused input is dropped (its connection may be broken) and a fresh one opened next time.
    func with<T: Sendable>(_ body: @escaping @Sendable (Store) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                self.slots.wait()
                defer { self.slots.signal() }
                let store: Store
                do {
                    if let reused = self.lock.withLock({ self.idle.popLast() }) { store = reused } else { store = try self.open() }
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                do {
                    let result = try body(store)
                    self.release(store)
                    continuation.resume(returning: result)
                } catch let error as PlatformError where error.code == .invalidInput || error.code == .notFound {
                    self.release(store)
                    continuation.resume(throwing: error)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    private func release(_ store: Store) {
        lock.withLock { if !closed { idle.append(store) } }
    }

    func close() {
        lock.withLock {
            closed = true
            idle.removeAll()
        }
    }
}
