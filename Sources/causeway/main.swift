import Console
import Foundation
import Logging

signal(SIGPIPE, SIG_IGN)
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = ProcessInfo.processInfo.environment["CAUSEWAY_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
    return handler
}
exit(CausewayMain.run(Array(CommandLine.arguments.dropFirst())))
