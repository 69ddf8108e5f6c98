using Microsoft.Extensions.Options;

namespace PatientStream.EdgeAgent.Buffer;

/// <summary>
/// Where the store-and-forward buffer lives and how big it may grow.
/// Full policy: when <see cref="MaxBytes"/> is reached or the disk has less than <see cref="MinFreeDiskBytes"/> free,
/// <see cref="DurableBuffer.AppendAsync"/> waits for the forwarder to free room. The agent acknowledges an MQTT
/// message only after its append returned, so a full buffer stops acknowledgements: the broker keeps the messages
/// in the agent's persistent session (up to its own <c>max_queued_messages</c>) and devices keep theirs until
/// acknowledged. Nothing is dropped by the edge to make room.
/// </summary>
public sealed record BufferOptions
{
    /// <summary>SQLite database file (WAL mode); its folder is created when missing.</summary>
    public required string Path { get; init; }

    /// <summary>Most payload bytes kept in the buffer (default 1 GiB).</summary>
    public long MaxBytes { get; init; } = 1L << 30;

    /// <summary>Appends stop while the disk holding <see cref="Path"/> has less free space than this (default 256 MiB).</summary>
    public long MinFreeDiskBytes { get; init; } = 256L << 20;

    /// <summary>Most appends made durable by one commit (one fsync): group commit keeps throughput at disk speed.</summary>
    public int MaxAppendsPerCommit { get; init; } = 2_048;

    /// <summary>Appends waiting for their commit; a full queue makes <see cref="DurableBuffer.AppendAsync"/> wait.</summary>
    public int AppendQueueCapacity { get; init; } = 4_096;

    /// <summary>
    /// Payload bytes of the newest batches also kept in memory, so the forwarder sends them without reading them back
    /// from disk (default 64 MiB). Past it (a long Kafka outage) the oldest are read from disk when their turn comes.
    /// </summary>
    public long MaxBytesInMemory { get; init; } = 64L << 20;

    /// <summary>Most quarantined payloads kept; the oldest are dropped past it (they are garbage, already counted and audited).</summary>
    public int MaxQuarantined { get; init; } = 10_000;
}

/// <summary>Fails start-up with a clear message when the buffer settings cannot work.</summary>
public sealed class BufferOptionsValidator : IValidateOptions<BufferOptions>
{
    public ValidateOptionsResult Validate(string? name, BufferOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            failures.Add("Buffer Path is required.");
        }
        if (options.MaxBytes < 1 << 20)
        {
            failures.Add("Buffer MaxBytes must be at least 1 MiB.");
        }
        if (options.MinFreeDiskBytes < 0)
        {
            failures.Add("Buffer MinFreeDiskBytes must not be negative.");
        }
        if (options.MaxAppendsPerCommit is < 1 or > 10_000)
        {
            failures.Add("Buffer MaxAppendsPerCommit must be between 1 and 10000.");
        }
        if (options.MaxBytesInMemory < 0)
        {
            failures.Add("Buffer MaxBytesInMemory must not be negative.");
        }
        if (options.AppendQueueCapacity < 1)
        {
            failures.Add("Buffer AppendQueueCapacity must be positive.");
        }
        if (options.MaxQuarantined < 1)
        {
            failures.Add("Buffer MaxQuarantined must be positive.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static BufferOptions EnsureValid(BufferOptions options)
    {
        var result = new BufferOptionsValidator().Validate(null, options);
        return result.Failed ? throw new OptionsValidationException(nameof(BufferOptions), typeof(BufferOptions), result.Failures) : options;
    }
}
