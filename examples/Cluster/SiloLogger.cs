using Microsoft.Extensions.Logging;

namespace Cluster;

/// <summary>Writes one line per event: level, category (its last part) and message; an exception's type and message after it.</summary>
internal sealed class SiloLogger : ILogger
{
    private readonly string _silo;
    private readonly string _category;

    public SiloLogger(string silo, string category)
    {
        _silo = silo;
        _category = category[(category.LastIndexOf('.') + 1)..];
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        string message = formatter(state, exception).ReplaceLineEndings(" ");
        string error = exception is null ? "" : $" [{exception.GetType().Name}: {exception.Message.ReplaceLineEndings(" ")}]";
        Console.Out.WriteLine($"{_silo} {logLevel.ToString().ToLowerInvariant()} {_category}: {message}{error}");
    }
}
