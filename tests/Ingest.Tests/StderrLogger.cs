using Microsoft.Extensions.Logging;

namespace PatientStream.Ingest.Tests;

/// <summary>Writes warnings and above to stderr, so a failing test's output shows what the stage complained about.</summary>
internal sealed class StderrLoggerFactory : ILoggerFactory, ILogger
{
    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            Console.Error.WriteLine($"{logLevel}: {formatter(state, exception)} {exception}");
        }
    }

    public void Dispose()
    {
    }
}
