import Foundation

/// reconcile's ends of a child's pipes: writes its stdin while reading its stdout and stderr, all
/// in one poll(2) loop, so a child that fills one pipe while reconcile waits on another cannot
/// deadlock. A read end closes at end of file; the write end once everything is written or the
/// child stopped reading.
public final class PipeExchange {
    /// stdin, stdout, stderr; a closed one has fd -1, which poll(2) skips.
    private var descriptors: [pollfd]
    private let input: Data
    private var written = 0
    private var buffer = [UInt8](repeating: 0, count: 65536)
    public private(set) var stdout = Data()
    public private(set) var stderr = Data()

    /// Takes the descriptors (-1: none); the stdin end is made non-blocking so a full pipe never blocks the loop.
    init(stdin: Int32, input: Data, stdout: Int32, stderr: Int32) {
        self.input = input
        descriptors = [
            pollfd(fd: stdin, events: Int16(POLLOUT), revents: 0),
            pollfd(fd: stdout, events: Int16(POLLIN), revents: 0),
            pollfd(fd: stderr, events: Int16(POLLIN), revents: 0),
        ]
        if stdin >= 0 { _ = fcntl(stdin, F_SETFL, fcntl(stdin, F_GETFL) | O_NONBLOCK) }
        if input.isEmpty { closeDescriptor(0) }
    }

    deinit {
        descriptors.indices.forEach(closeDescriptor)
    }

    /// Whether every pipe is closed.
    public var isFinished: Bool { descriptors.allSatisfy { $0.fd < 0 } }

    /// Moves bytes until `deadline` (nil: until every pipe is closed); returns early when the last
    /// open pipe closes. With none open it only waits for the deadline.
    public func pump(until deadline: Date?) {
        let wasOpen = !isFinished
        guard wasOpen || deadline != nil else { return }
        repeat {
            let ready = poll(&descriptors, nfds_t(descriptors.count), Self.milliseconds(until: deadline))
            if ready > 0 {
                transfer()
            } else if ready < 0 && errno != EINTR {
                // Only a broken poll(2) (ENOMEM) gets here; waiting on would never end.
                descriptors.indices.forEach(closeDescriptor)
            }
            if let deadline, Date() >= deadline { return }
        } while !(wasOpen && isFinished)
    }

    private func transfer() {
        if descriptors[0].revents != 0 { writeInput() }
        for index in 1...2 where descriptors[index].revents != 0 { receive(index) }
    }

    private func writeInput() {
        let descriptor = descriptors[0].fd
        let count = input.withUnsafeBytes { bytes in
            Self.writeHoldingSIGPIPE(descriptor, UnsafeRawBufferPointer(rebasing: bytes[written...]))
        }
        if count > 0 {
            written += count
        } else if errno != EAGAIN && errno != EINTR {
            // EPIPE: the child ended or closed its stdin without reading everything.
            closeDescriptor(0)
        }
        if written == input.count { closeDescriptor(0) }
    }

    private func receive(_ index: Int) {
        let descriptor = descriptors[index].fd
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count > 0 {
            if index == 1 { stdout.append(contentsOf: buffer[..<count]) } else { stderr.append(contentsOf: buffer[..<count]) }
        } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
            closeDescriptor(index)
        }
    }

    private func closeDescriptor(_ index: Int) {
        guard descriptors[index].fd >= 0 else { return }
        close(descriptors[index].fd)
        descriptors[index].fd = -1
    }

    private static func milliseconds(until deadline: Date?) -> Int32 {
        guard let deadline else { return -1 }
        return Int32(clamping: Int((max(0, deadline.timeIntervalSinceNow) * 1000).rounded(.up)))
    }

    /// write(2) with SIGPIPE held back on this thread: a child that does not read its input gives
    /// EPIPE, never the signal, which kills any process that does not ignore it (a test runner).
    private static func writeHoldingSIGPIPE(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
        let count = write(descriptor, bytes.baseAddress, bytes.count)
        let failure = errno
        if count < 0 && failure == EPIPE && sigismember(&previous, SIGPIPE) == 0 {
            // Take the SIGPIPE this write raised before unblocking, or it would be delivered then.
            var now = timespec()
            _ = sigtimedwait(&pipeSignal, nil, &now)
        }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        errno = failure
        return count
    }
}
