using System.Text.Json;
using System.Text.Json.Serialization;

namespace PatientStream.EdgeAgent.Audit;

/// <summary>One gate decision: a batch released (permit or partial), rejected, or quarantined.</summary>
public sealed record EdgeAuditRecord
{
    [JsonPropertyName("at")] public required DateTimeOffset At { get; init; }
    /// <summary>permit, partial, rejected or quarantined.</summary>
    [JsonPropertyName("outcome")] public required string Outcome { get; init; }
    [JsonPropertyName("reason")] public string? Reason { get; init; }
    [JsonPropertyName("detail")] public string? Detail { get; init; }
    [JsonPropertyName("topic")] public required string Topic { get; init; }
    [JsonPropertyName("device")] public string? Device { get; init; }
    [JsonPropertyName("seq")] public long? Seq { get; init; }
    [JsonPropertyName("patient")] public string? Patient { get; init; }
    [JsonPropertyName("removed")] public IReadOnlyList<string>? RemovedTypes { get; init; }
    [JsonPropertyName("consents")] public IReadOnlyList<string>? Consents { get; init; }
}

/// <summary>Where the gate writes its decisions.</summary>
public interface IEdgeAudit
{
    void Record(EdgeAuditRecord record);
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EdgeAuditRecord))]
internal sealed partial class EdgeAuditJsonContext : JsonSerializerContext;

/// <summary>
/// The edge's audit trail as a JSON-lines file (one decision a line). Refusals and quarantines are written to the
/// OS at once; releases (one per forwarded batch) are written in blocks, at the latest every
/// <see cref="FlushInterval"/>, so a crash can lose at most that much of the release trail, never a refusal.
/// Shipped to the central AuditEvent trail by log collection.
/// </summary>
public sealed class JsonLinesAudit : IEdgeAudit, IDisposable
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(200);
    private const int FlushBytes = 64 * 1024;

    private readonly Lock _lock = new();
    private readonly FileStream _file;
    private readonly Utf8JsonWriter _writer;
    private readonly Timer _flush;
    private long _sinceFlush;

    public JsonLinesAudit(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, FlushBytes * 2);
        _writer = new Utf8JsonWriter(_file);
        _flush = new Timer(_ => Flush(), null, FlushInterval, FlushInterval);
    }

    public void Record(EdgeAuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_lock)
        {
            var start = _file.Position;
            JsonSerializer.Serialize(_writer, record, EdgeAuditJsonContext.Default.EdgeAuditRecord);
            _writer.Flush();
            _writer.Reset();
            _file.WriteByte((byte)'\n');
            _sinceFlush += _file.Position - start;
            if (record.Outcome is not ("permit" or "partial") || _sinceFlush >= FlushBytes)
            {
                _file.Flush();
                _sinceFlush = 0;
            }
        }
    }

    /// <summary>Writes buffered records to the OS.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            if (_file.CanWrite)
            {
                _file.Flush();
                _sinceFlush = 0;
            }
        }
    }

    /// <summary>Reads an audit file back (for status output and tests).</summary>
    public static IReadOnlyList<EdgeAuditRecord> Read(string path) =>
        File.ReadLines(path)
            .Where(line => line.Length > 0)
            .Select(line => JsonSerializer.Deserialize(line, EdgeAuditJsonContext.Default.EdgeAuditRecord)!)
            .ToList();

    public void Dispose()
    {
        _flush.Dispose();
        lock (_lock)
        {
            _writer.Dispose();
            _file.Dispose();
        }
    }
}
