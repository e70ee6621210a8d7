using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SqlSync.Server.Tests;

/// <summary>One captured log line.</summary>
internal sealed record LogLine(string Category, LogLevel Level, string Message, Exception? Exception);

/// <summary>Keeps the server's log lines (warning and above) in memory so tests can assert on them.</summary>
internal sealed class LogCapture(LogLevel minimum = LogLevel.Warning) : ILoggerProvider
{
    private readonly ConcurrentQueue<LogLine> _lines = new();

    private readonly LogLevel _minimum = minimum;

    public IReadOnlyList<LogLine> Lines => _lines.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner._minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner._lines.Enqueue(new LogLine(category, logLevel, formatter(state, exception), exception));
            }
        }
    }
}
