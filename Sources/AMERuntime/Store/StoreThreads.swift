#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Threads on which a store's blocking calls may run, and a task executor over them.
///
/// The concurrency runtime's threads must not block, so the embedded store's SQLite calls run on
/// these threads instead. A task that prefers this executor (``GraphQLEngine`` runs an
/// operation so on a store that offers one) runs on these threads as a whole, so its store calls
/// are made in place, with no thread switch per call. Any other caller is moved here for the
/// call and resumed where it was after.
///
/// The threads live as long as the process, as NIO's shared thread pool's do.
final class StoreThreads: TaskExecutor, @unchecked Sendable {
    /// The threads the embedded store uses: twice the cores, so that a write waiting for its
    /// fsync does not keep a core idle.
    static let shared = StoreThreads(count: 2 * max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let ready = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Jobs waiting for a thread, oldest first (guarded by `mutex`).
    private var queue = JobQueue()
    /// Threads waiting for a job (guarded by `mutex`).
    private var idle = 0
    /// Jobs given to these threads so far (guarded by `mutex`).
    private var enqueued = 0

    /// How many jobs have been given to these threads: each is a move of a task onto them.
    var enqueuedJobs: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return enqueued
    }

    /// Marks the threads of every ``StoreThreads``: set on them, absent everywhere else.
    private static let marker: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
        return key
    }()

    /// Each thread's stack: 8 MiB, the main thread's usual size.
    static let stackSize = 8 << 20

    /// Starts `count` threads.
    init(count: Int) {
        precondition(count > 0, "a StoreThreads needs a thread")
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(ready, nil)
        // The stack is set, not left to the process's limit: an operation runs on these threads
        // as on the concurrency runtime's.
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, Self.stackSize)
        for _ in 0..<count {
            let context = Unmanaged.passRetained(self).toOpaque()
            var thread = pthread_t()
            let started = pthread_create(
                &thread, &attributes,
                { context in
                    let threads = Unmanaged<StoreThreads>.fromOpaque(context!).takeRetainedValue()
                    threads.work()
                    return nil
                }, context)
            precondition(started == 0, "pthread_create failed: \(started)")
            pthread_detach(thread)
        }
    }

    /// Whether the calling thread is one of a ``StoreThreads``' threads, where blocking is allowed.
    static var isCurrentThread: Bool { pthread_getspecific(marker) != nil }

    /// Runs the blocking `body` on one of these threads: in place when the caller is on one
    /// already, else moving the caller there for the call.
    func run<T: Sendable>(_ body: @Sendable () throws -> T) async throws -> T {
        if Self.isCurrentThread { return try body() }
        return try await withTaskExecutorPreference(self) { try body() }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(mutex)
        queue.append(job)
        enqueued += 1
        let wake = idle > 0
        pthread_mutex_unlock(mutex)
        if wake { pthread_cond_signal(ready) }
    }

    /// A thread's loop: runs jobs as they come, for ever.
    private func work() -> Never {
        pthread_setspecific(Self.marker, UnsafeRawPointer(bitPattern: 1))
        let executor = asUnownedTaskExecutor()
        while true {
            pthread_mutex_lock(mutex)
            while queue.isEmpty {
                idle += 1
                pthread_cond_wait(ready, mutex)
                idle -= 1
            }
            let job = queue.removeFirst()
            pthread_mutex_unlock(mutex)
            job.runSynchronously(on: executor)
        }
    }
}

/// A first-in first-out ring of jobs that grows as needed.
private struct JobQueue {
    private var slots: [UnownedJob?] = Array(repeating: nil, count: 64)
    private var head = 0
    private var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func append(_ job: UnownedJob) {
        if count == slots.count {
            slots = (0..<count).map { slots[(head + $0) % slots.count] } + Array(repeating: nil, count: count)
            head = 0
        }
        slots[(head + count) % slots.count] = job
        count += 1
    }

    mutating func removeFirst() -> UnownedJob {
        let job = slots[head]!
        slots[head] = nil
        head = (head + 1) % slots.count
        count -= 1
        return job
    }
}
