import Foundation

/// The environment for a process a test starts: the test's own, with `LLVM_PROFILE_FILE` set so
/// that a coverage build of `ame` started by the tests writes a raw profile of its own
/// (`process-<pid>-<binary signature>.profraw`) into the build's `codecov/processes/`, where
/// `scripts/coverage.sh` merges it with the test binary's profile. Without it the process would
/// inherit the test binary's setting (`swift test` points it at `codecov/` itself) or, when the
/// test binary is run directly, write `default.profraw` into its working directory. Processes
/// that are not instrumented (python, a build without coverage) ignore the variable; a process a
/// non-instrumented one starts (a script running `ame`) inherits it.
enum ProcessCoverage {
    /// `.build/<triple>/debug/codecov/processes`, beside the test binary.
    static var folder: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("codecov").appendingPathComponent("processes")
    }

    static func environment(
        _ base: [String: String] = ProcessInfo.processInfo.environment
    ) -> [String: String] {
        var environment = base
        environment["LLVM_PROFILE_FILE"] = folder.appendingPathComponent("process-%p-%m.profraw").path
        return environment
    }
}
