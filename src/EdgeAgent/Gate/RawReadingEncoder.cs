using System.Buffers;
using System.Text.Json;
using PatientStream.Kafka.Contracts;

namespace PatientStream.EdgeAgent.Gate;

/// <summary>
/// Encodes a released batch as the <c>ps.readings.raw</c> value. When the gate kept the device's payload whole and
/// it holds nothing but the contract's members (<see cref="GateForward.VerbatimBatch"/>), the payload is written as
/// the <c>batch</c> member unchanged instead of being formatted again: every number and time in it was already
/// parsed and checked, and re-formatting them was a large share of the agent's work per batch. Otherwise the
/// reading is serialised by the contract serializer. One encoder per receive loop: it reuses its buffer.
/// </summary>
public sealed class RawReadingEncoder : IDisposable
{
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _writer;

    public RawReadingEncoder() => _writer = new Utf8JsonWriter(_buffer);

    public byte[] Encode(GateForward forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        if (forward.VerbatimBatch.IsEmpty)
        {
            return ContractsJson.Serialize(forward.Reading);
        }
        var reading = forward.Reading;
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        // Members in the order and with the names of ContractsJsonContext's RawReading, nulls omitted as it does.
        _writer.WriteStartObject();
        _writer.WriteNumber("v"u8, reading.Version);
        _writer.WriteString("device"u8, reading.Device);
        _writer.WriteString("patient"u8, reading.Patient);
        _writer.WriteString("received"u8, reading.Received);
        if (reading.ClockSkewMs is { } skew)
        {
            _writer.WriteNumber("skewMs"u8, skew);
        }
        _writer.WritePropertyName("consent"u8);
        JsonSerializer.Serialize(_writer, reading.Consent, ContractsJsonContext.Default.ConsentStamp);
        _writer.WritePropertyName("batch"u8);
        // The gate read the payload to its end as one JSON object, so it needs no second validation.
        _writer.WriteRawValue(forward.VerbatimBatch.Span, skipInputValidation: true);
        _writer.WriteEndObject();
        _writer.Flush();
        return _buffer.WrittenSpan.ToArray();
    }

    public void Dispose() => _writer.Dispose();
}
