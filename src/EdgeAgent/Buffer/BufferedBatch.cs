namespace PatientStream.EdgeAgent.Buffer;

/// <summary>A gated batch ready to leave: the Kafka key (patient id) and value (RawReading JSON).</summary>
/// <param name="Device">Device id; with <paramref name="Seq"/> it identifies the batch (a retransmission is a duplicate).</param>
public sealed record BufferEntry(string Device, long Seq, string Key, byte[] Value, DateTimeOffset Received);

/// <summary>A batch held in the buffer, in arrival order (<see cref="Id"/>).</summary>
public sealed record BufferedBatch(long Id, string Device, long Seq, string Key, byte[] Value, DateTimeOffset Received);

/// <summary>What an append did: stored durably, or recognised as a batch already held.</summary>
public enum AppendOutcome
{
    Stored,
    Duplicate,
}

/// <summary>A malformed payload kept for inspection, with why it was refused.</summary>
public sealed record QuarantinedPayload(long Id, string Topic, string Reason, byte[] Payload, DateTimeOffset At);

/// <summary>The buffer's storage failed (disk error, corrupt file): the agent must stop acknowledging and restart.</summary>
public sealed class EdgeBufferException : Exception
{
    public const string StorageFailed = "edge.buffer.storage";

    public EdgeBufferException()
    {
    }

    public EdgeBufferException(string message) : base(message)
    {
    }

    public EdgeBufferException(string message, Exception inner) : base(message, inner)
    {
    }

    public string Code { get; } = StorageFailed;
}
