using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace PatientStream.Analytics.Patients;

/// <summary>Little-endian primitives for compact patient snapshots (they are kept in memory for every idle patient).</summary>
internal readonly struct SnapshotWriter(IBufferWriter<byte> output)
{
    public void Byte(byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    public void Bool(bool value) => Byte(value ? (byte)1 : (byte)0);

    public void Int32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    public void Int64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    public void UInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    public void Double(double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    public void Time(DateTimeOffset value) => Int64(value.UtcTicks);

    public void String(string? value)
    {
        if (value is null)
        {
            Int32(-1);
            return;
        }

        var length = Encoding.UTF8.GetByteCount(value);
        Int32(length);
        Encoding.UTF8.GetBytes(value, output.GetSpan(length));
        output.Advance(length);
    }
}

/// <summary>Reads what <see cref="SnapshotWriter"/> wrote; throws <see cref="FormatException"/> on truncated input.</summary>
internal ref struct SnapshotReader(ReadOnlySpan<byte> input)
{
    private ReadOnlySpan<byte> _input = input;

    public byte Byte() => Take(1)[0];

    public bool Bool() => Byte() != 0;

    public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public ulong UInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    public double Double() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    public DateTimeOffset Time() => new(Int64(), TimeSpan.Zero);

    public string? String()
    {
        var length = Int32();
        return length < 0 ? null : Encoding.UTF8.GetString(Take(length));
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _input.Length)
        {
            throw new FormatException("Patient snapshot is truncated.");
        }

        var taken = _input[..count];
        _input = _input[count..];
        return taken;
    }
}
