/// A pointer handed to worker threads (`DispatchQueue.concurrentPerform`) that each write their
/// own, disjoint part of its memory. The caller keeps the memory alive and apart; this type only
/// lets the pointer cross into the workers.
public struct Shared<T>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<T>
    public init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}
