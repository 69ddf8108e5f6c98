using System.Buffers.Binary;
using System.Text;

namespace PatientStream.Mqtt.Formatter;

/// <summary>
/// Reads MQTT data types from one packet body. Every read is bounds-checked against the body, so a hostile length
/// field can never make it read past the packet or allocate more than the packet holds.
/// </summary>
internal ref struct MqttBufferReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public MqttBufferReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly int Remaining => _buffer.Length - _position;

    public readonly bool EndOfData => _position >= _buffer.Length;

    public byte ReadByte()
    {
        Require(1);
        return _buffer[_position++];
    }

    public ushort ReadUInt16()
    {
        Require(2);
        var value = BinaryPrimitives.ReadUInt16BigEndian(_buffer[_position..]);
        _position += 2;
        return value;
    }

    public uint ReadUInt32()
    {
        Require(4);
        var value = BinaryPrimitives.ReadUInt32BigEndian(_buffer[_position..]);
        _position += 4;
        return value;
    }

    public uint ReadVariableByteInteger()
    {
        uint value = 0;
        for (var i = 0; i < 4; i++)
        {
            var b = ReadByte();
            value |= (uint)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
        throw new MqttProtocolException(MqttProtocolError.MalformedRemainingLength, "Variable byte integer longer than four bytes.");
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        Require(count);
        var span = _buffer.Slice(_position, count);
        _position += count;
        return span;
    }

    public ReadOnlySpan<byte> ReadBinaryData() => ReadBytes(ReadUInt16());

    public string ReadString()
    {
        var bytes = ReadBinaryData();
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new MqttProtocolException(MqttProtocolError.InvalidUtf8, "String is not well-formed UTF-8.", ex);
        }
        // MQTT forbids U+0000 in every UTF-8 string (3.1.1 §1.5.3, 5.0 §1.5.4).
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            throw new MqttProtocolException(MqttProtocolError.InvalidUtf8, "String contains U+0000.");
        }
        return text;
    }

    public ReadOnlySpan<byte> ReadToEnd()
    {
        var span = _buffer[_position..];
        _position = _buffer.Length;
        return span;
    }

    /// <summary>Confines further reads to the next <paramref name="length"/> bytes (a property block).</summary>
    public MqttBufferReader Slice(int length)
    {
        var nested = new MqttBufferReader(ReadBytes(length));
        return nested;
    }

    public readonly void EnsureEnd()
    {
        if (_position != _buffer.Length)
        {
            throw new MqttProtocolException(MqttProtocolError.TrailingBytes, "Packet has bytes after its last field.");
        }
    }

    private readonly void Require(int count)
    {
        if (count < 0 || _buffer.Length - _position < count)
        {
            throw new MqttProtocolException(MqttProtocolError.Truncated, "Packet ends inside a field.");
        }
    }
}
