import Foundation
import XCTest
@testable import Console
@testable import Platform

/// The terminal's progress bar: what its line says, when it is drawn and that it is erased.
final class ProgressBarTests: XCTestCase {
    typealias Snapshot = WorkProgress.Snapshot

    func testNothingBeforeTheDelayOrBeforeAnyReport() {
        XCTAssertNil(ProgressBar.line(Snapshot(phase: "sending rows", done: 1, total: 10), elapsed: 0.49, frame: 0, columns: 80))
        XCTAssertNil(ProgressBar.line(nil, elapsed: 5, frame: 0, columns: 80))
    }

    /// 48 % of the rows after 3 s: 9 of 20 cells full, 3 / 0.48 − 3 = 3.25 s left.
    func testACountedPhase() {
        XCTAssertEqual(ProgressBar.line(Snapshot(phase: "sending rows", done: 480_000, total: 1_000_000), elapsed: 3, frame: 0, columns: 200),
                       "sending rows [=========>          ] 48%  0:03  eta 0:03  480,000/1,000,000")
        // Too early for an estimate of the rest.
        XCTAssertEqual(ProgressBar.line(Snapshot(phase: "p", done: 1, total: 100), elapsed: 1, frame: 0, columns: 200),
                       "p [>                   ] 1%  0:01  1/100")
    }

    /// Every row sent: the server is still working (the COPY's end and its triggers). Other
    /// phases just spin once every step is done.
    func testEveryStepDoneSaysWhatIsLeft() {
        XCTAssertEqual(ProgressBar.line(Snapshot(phase: "sending rows", done: 10, total: 10, afterwards: "PostgreSQL is finishing"),
                                        elapsed: 7.9, frame: 0, columns: 200),
                       "sending rows [====================] 100%  0:07  PostgreSQL is finishing |")
        XCTAssertEqual(ProgressBar.line(Snapshot(phase: "bootstrap", done: 200, total: 200), elapsed: 2, frame: 1, columns: 200),
                       "bootstrap [====================] 100%  0:02  /")
    }

    func testAnUncountedPhaseSpinsAndTallies() {
        XCTAssertEqual(ProgressBar.line(Snapshot(phase: "0006_lift_sums.sql", done: 0, total: nil), elapsed: 12, frame: 1, columns: 200),
                       "0006_lift_sums.sql  /  0:12")
        XCTAssertEqual(ProgressBar.line(Snapshot(phase: "fitting the X-learner", done: 3, total: nil, unit: "base learners fitted"),
                                        elapsed: 4, frame: 2, columns: 200),
                       "fitting the X-learner  -  0:04  3 base learners fitted")
    }

    func testTheLineFitsTheTerminal() {
        let line = ProgressBar.line(Snapshot(phase: "sending rows", done: 480_000, total: 1_000_000), elapsed: 3, frame: 0, columns: 20)
        XCTAssertEqual(line, "sending rows [=====", "one column short of the width, so the cursor never wraps")
    }

    func testClockAndGrouping() {
        XCTAssertEqual(ProgressBar.clock(65.9), "1:05")
        XCTAssertEqual(ProgressBar.clock(3725), "1:02:05")
        XCTAssertEqual(ProgressBar.clock(-1), "0:00")
        XCTAssertEqual(ProgressBar.grouped(999), "999")
        XCTAssertEqual(ProgressBar.grouped(1000), "1,000")
        XCTAssertEqual(ProgressBar.grouped(1_234_567), "1,234,567")
    }

    /// Drawn with a carriage return and an erase-to-end; erased when the command ends; a command
    /// that never drew leaves nothing.
    func testDrawsOnlyAfterTheDelayAndErasesAtTheEnd() {
        let written = Written()
        let bar = ProgressBar(write: { written.append($0) }, columns: { 80 })
        bar.start("import outcomes", at: 100, ticking: false)
        bar.tick(at: 100.4)
        XCTAssertEqual(written.all, [])
        bar.tick(at: 100.6)
        XCTAssertEqual(written.all, ["\rimport outcomes  |  0:00\u{1B}[K"], "before any phase, the command's name and its time")
        bar.progress.begin("sending rows", total: 4)
        bar.progress.set(done: 2)
        bar.tick(at: 101)
        XCTAssertEqual(written.all.last, "\rsending rows [==========>         ] 50%  0:01  eta 0:01  2/4\u{1B}[K")
        bar.finish()
        XCTAssertEqual(written.all.last, "\r\u{1B}[K")

        let quiet = Written()
        let fast = ProgressBar(write: { quiet.append($0) }, columns: { 80 })
        fast.start("import outcomes", at: 0, ticking: false)
        fast.progress.begin("sending rows", total: 4)
        fast.finish()
        fast.tick(at: 5)
        XCTAssertEqual(quiet.all, [], "a command done within the delay prints no bar and nothing to erase, and a late tick draws nothing")
    }

    /// Steps reported from several threads all count.
    func testStepsFromManyThreadsAllCount() {
        let seen = Written()
        let progress = WorkProgress { seen.append(String($0.done)) }
        progress.begin("re-running the design", total: 8000)
        let step = progress.step
        XCTAssertNotNil(step)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in for _ in 0..<1000 { step?() } }
        XCTAssertEqual(seen.all.compactMap { Int($0) }.max(), 8000)
        XCTAssertEqual(seen.all.count, 8001, "one report per step, and one for the phase")
        XCTAssertNil(WorkProgress.silent.step, "nobody listens: loops skip the call")
    }
}

/// Collects what a bar writes, from any thread.
private final class Written: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ s: String) { lock.withLock { items.append(s) } }
    var all: [String] { lock.withLock { items } }
}
