using System.Buffers;

namespace PatientStream.Mqtt.Formatter;

/// <summary>
/// Splits a byte stream into MQTT frames. The remaining length is checked against the maximum packet size as soon as
/// it is read, so an oversize or hostile length is refused before any buffer for its body exists.
/// </summary>
public static class MqttFrameReader
{
    /// <summary>
    /// Returns true and the frame when <paramref name="buffer"/> starts with a complete one (advancing it past the
    /// frame); false when more bytes are needed.
    /// </summary>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, uint maximumPacketSize, out byte fixedHeader, out ReadOnlySequence<byte> body)
    {
        fixedHeader = 0;
        body = default;
        if (buffer.Length < 2)
        {
            return false;
        }
        var reader = new SequenceReader<byte>(buffer);
        reader.TryRead(out fixedHeader);
        uint length = 0;
        var headerSize = 1;
        for (var i = 0; ; i++)
        {
            if (i == 4)
            {
                throw new MqttProtocolException(MqttProtocolError.MalformedRemainingLength, "Remaining length longer than four bytes.");
            }
            if (!reader.TryRead(out var b))
            {
                return false;
            }
            headerSize++;
            length |= (uint)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                // A non-minimal encoding (a trailing 0x00 continuation) is malformed in both versions.
                if (b == 0 && i > 0)
                {
                    throw new MqttProtocolException(MqttProtocolError.MalformedRemainingLength, "Remaining length is not minimally encoded.");
                }
                break;
            }
        }
        if ((ulong)headerSize + length > maximumPacketSize)
        {
            throw new MqttProtocolException(MqttProtocolError.PacketTooLarge,
                $"Packet of {(ulong)headerSize + length} bytes exceeds the maximum packet size of {maximumPacketSize}.");
        }
        if (buffer.Length - headerSize < length)
        {
            return false;
        }
        body = buffer.Slice(headerSize, length);
        buffer = buffer.Slice(body.End);
        return true;
    }
}
