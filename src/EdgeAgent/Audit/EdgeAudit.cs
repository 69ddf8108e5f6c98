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
/// The edge's audit trail as a JSON-lines file (one decision a line), appended and flushed to the OS per record so
/// a crash loses at most what the OS had not written. Shipped to the central AuditEvent trail by log collection.
/// </summary>
public sealed class JsonLinesAudit : IEdgeAudit, IDisposable
{
    private readonly Lock _lock = new();
    private readonly FileStream _file;
    private readonly Utf8JsonWriter _writer;

    public JsonLinesAudit(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 64 * 1024);
        _writer = new Utf8JsonWriter(_file);
    }

    public void Record(EdgeAuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_lock)
        {
            JsonSerializer.Serialize(_writer, record, EdgeAuditJsonContext.Default.EdgeAuditRecord);
            _writer.Flush();
            _writer.Reset();
            _file.WriteByte((byte)'\n');
            _file.Flush();
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
        lock (_lock)
        {
            _writer.Dispose();
            _file.Dispose();
        }
    }
}
