using System.Buffers.Binary;
using System.Text;

namespace PatientStream.Mqtt.Formatter;

/// <summary>A reusable growable buffer that writes MQTT data types; one per encoder, so a connection reuses its memory.</summary>
internal sealed class MqttBufferWriter
{
    private byte[] _buffer;
    private int _length;

    public MqttBufferWriter(int initialCapacity = 256) => _buffer = new byte[initialCapacity];

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    public void Reset() => _length = 0;

    /// <summary>Keeps a buffer that grew for one large packet from pinning that memory for the connection's life.</summary>
    public void Trim(int maxRetained)
    {
        if (_buffer.Length > maxRetained)
        {
            _buffer = new byte[maxRetained];
        }
        _length = 0;
    }

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    public void WriteUInt16(ushort value)
    {
        Ensure(2);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(_length), value);
        _length += 2;
    }

    public void WriteUInt32(uint value)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    public void WriteVariableByteInteger(uint value)
    {
        Ensure(4);
        _length += MqttVariableByteInteger.Write(_buffer.AsSpan(_length), value);
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    public void WriteBinaryData(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > ushort.MaxValue)
        {
            throw new ArgumentException("Binary data longer than 65,535 bytes cannot be encoded.", nameof(bytes));
        }
        WriteUInt16((ushort)bytes.Length);
        WriteBytes(bytes);
    }

    public void WriteString(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        if (count > ushort.MaxValue)
        {
            throw new ArgumentException("String longer than 65,535 UTF-8 bytes cannot be encoded.", nameof(value));
        }
        WriteUInt16((ushort)count);
        Ensure(count);
        _length += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length));
    }

    private void Ensure(int count)
    {
        if (_buffer.Length - _length >= count)
        {
            return;
        }
        var size = Math.Max(_buffer.Length * 2, _length + count);
        Array.Resize(ref _buffer, size);
    }
}

internal static class MqttVariableByteInteger
{
    public const uint Maximum = 268_435_455;

    public static int Size(uint value) => value switch
    {
        < 128 => 1,
        < 16_384 => 2,
        < 2_097_152 => 3,
        _ => 4,
    };

    public static int Write(Span<byte> destination, uint value)
    {
        if (value > Maximum)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "Variable byte integer above 268,435,455.");
        }
        var i = 0;
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            if (value > 0)
            {
                b |= 0x80;
            }
            destination[i++] = b;
        }
        while (value > 0);
        return i;
    }
}
