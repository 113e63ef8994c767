using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ModelRegistry.IntegrationTests.Infrastructure;

/// <summary>A log line as written: category, level, message and the properties of the line and of every scope it was written in.</summary>
public sealed record LogLine(string Category, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Properties, Exception? Exception)
{
    public string? this[string property] => Properties.TryGetValue(property, out var value) ? value?.ToString() : null;

    public override string ToString() => $"{Level} {Category}: {Message} {Exception}";
}

/// <summary>Every line an app logs at Information or above, with its scopes' properties; a failed expectation prints the errors.</summary>
public sealed class TestLog : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<LogLine> _lines = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyCollection<LogLine> Lines => _lines.ToArray();

    public IReadOnlyCollection<string> Errors => Lines.Where(l => l.Level >= LogLevel.Error).Select(l => l.ToString()).ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private static void AddProperties(object? state, Dictionary<string, object?> properties)
    {
        if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            foreach (var (key, value) in pairs)
            {
                properties[key] = value;
            }
        }
    }

    private sealed class Logger(TestLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => log._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var properties = new Dictionary<string, object?>();
            log._scopes.ForEachScope((scope, found) => AddProperties(scope, found), properties);
            AddProperties(state, properties);
            log._lines.Enqueue(new LogLine(category, logLevel, formatter(state, exception), properties, exception));
        }
    }
}
