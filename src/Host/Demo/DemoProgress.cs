using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;

namespace PatientStream.Host.Demo;

/// <summary>Reads <c>STATUS key=value ...</c> lines that the edge agent and the simulator print.</summary>
internal static class StatusLine
{
    public const string Prefix = "STATUS ";

    public static IReadOnlyDictionary<string, long>? Parse(string line)
    {
        if (!line.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var pair in line[Prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && long.TryParse(pair.AsSpan(equals + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                values[pair[..equals]] = value;
            }
        }
        return values;
    }
}

/// <summary>The figures of one progress line; every one is read from a child's STATUS line or counted in FHIR.</summary>
internal sealed record DemoFigures(long Published, long Received, long Forwarded, long Denied, long Observations, long RiskAssessments, long Alerts, long AuditEvents)
{
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"devices published {Published} | edge received {Received}, forwarded {Forwarded}, denied {Denied} | FHIR Observations {Count(Observations)}, RiskAssessments {Count(RiskAssessments)}, alerts (Flag) {Count(Alerts)}, AuditEvents {Count(AuditEvents)}");

    // A count the server did not answer (it may be restarting) is shown as such, not as a number.
    private static string Count(long value) => value < 0 ? "n/a" : value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Collects the children's counters. The edge agent's counters restart at zero with each process, so the last
/// figures of an earlier incarnation are kept and added (a batch redelivered after a crash is received twice).
/// </summary>
internal sealed class DemoProgress(HttpClient server)
{
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, long>> _current = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _carried = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Called for every line a child prints.</summary>
    public void OnLine(string child, string line)
    {
        if (StatusLine.Parse(line) is { } values)
        {
            _current[child] = values;
        }
    }

    /// <summary>Called when a child died: its last figures are carried over to the next incarnation.</summary>
    public void OnRestart(string child)
    {
        lock (_lock)
        {
            if (_current.TryRemove(child, out var last))
            {
                foreach (var (key, value) in last)
                {
                    _carried.AddOrUpdate($"{child}.{key}", value, (_, old) => old + value);
                }
            }
        }
    }

    private long Get(string child, string key)
    {
        lock (_lock)
        {
            var now = _current.TryGetValue(child, out var values) ? values.GetValueOrDefault(key) : 0;
            return now + _carried.GetValueOrDefault($"{child}.{key}");
        }
    }

    public async Task<DemoFigures> ReadAsync(CancellationToken cancellationToken) => new(
        Get("simulate", "published"),
        Get("edge", "received"),
        Get("edge", "forwarded"),
        Get("edge", "rejected"),
        await CountAsync("Observation", cancellationToken).ConfigureAwait(false),
        await CountAsync("RiskAssessment", cancellationToken).ConfigureAwait(false),
        await CountAsync("Flag", cancellationToken).ConfigureAwait(false),
        await CountAsync("AuditEvent", cancellationToken).ConfigureAwait(false));

    /// <summary><c>GET /fhir/TYPE?_summary=count</c>; -1 when the server does not answer (it may be restarting).</summary>
    public async Task<long> CountAsync(string type, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await server.GetAsync(new Uri($"fhir/{type}?_summary=count", UriKind.Relative), cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return -1;
            }
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var bundle = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false);
            return bundle.RootElement.TryGetProperty("total", out var total) ? total.GetInt64() : -1;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return -1;
        }
    }
}
