using System.Text;
using System.Text.Json;
using PatientStream.Kafka.Contracts;

namespace PatientStream.EdgeAgent.Gate;

/// <summary>
/// Reads the plain shape of a device batch straight off a <see cref="Utf8JsonReader"/>. The contract's records have
/// required init-only members, which send System.Text.Json through its constructor-argument path (boxing every value);
/// on the edge's hot path that was the largest single cost. This reader accepts only what it can decide exactly as
/// <see cref="ContractsJson.TryParse(ReadOnlySpan{byte}, out DeviceBatch?, out string?)"/> would: anything else (a
/// repeated or metadata property, a null where the contract has none, a number out of range, broken JSON) returns
/// false and the caller asks the contract parser, which has the final word and the error message.
/// </summary>
internal static class DeviceBatchReader
{
    private const int SeenVersion = 1;
    private const int SeenDevice = 2;
    private const int SeenSeq = 4;
    private const int SeenSent = 8;
    private const int SeenSamples = 16;

    // Sample types and the usual units come back as shared strings: two fewer allocations and decodes per sample.
    private static readonly (byte[] Utf8, string Text)[] s_types = [.. SampleCodes.Types.Select(t => (Encoding.UTF8.GetBytes(t), t))];
    private static readonly (byte[] Utf8, string Text)[] s_units =
        [.. new[] { "/min", "%", "Cel", "mm[Hg]", "kg", "{steps}", "mV", "mg/dL", "mmol/L", "[degF]", "[lb_av]", "kPa" }
            .Select(u => (Encoding.UTF8.GetBytes(u), u))];

    /// <param name="exact">True when the payload holds nothing but the contract's members, so it can be forwarded verbatim.</param>
    public static bool TryRead(ReadOnlySpan<byte> utf8, out DeviceBatch? batch, out bool exact)
    {
        batch = null;
        exact = false;
        try
        {
            var reader = new Utf8JsonReader(utf8);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            var parsed = ReadBatch(ref reader, out exact);
            // The whole payload must be one value, as for the contract parser; trailing garbage throws here.
            if (parsed is null || reader.Read())
            {
                exact = false;
                return false;
            }
            batch = parsed;
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Broken JSON or invalid UTF-8: the contract parser produces the reason.
            exact = false;
            return false;
        }
    }

    private static DeviceBatch? ReadBatch(ref Utf8JsonReader reader, out bool exact)
    {
        exact = true;
        var seen = 0;
        // As the contract parser does: an absent "v" reads as 0 (its initializer does not run on that path), which the
        // contract check then refuses.
        var version = 0;
        string? device = null;
        long seq = 0;
        DateTimeOffset sent = default;
        List<Sample>? samples = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var member = Member(ref reader, ref seen, "v"u8, SeenVersion, "device"u8, SeenDevice, "seq"u8, SeenSeq, "sent"u8, SeenSent,
                "samples"u8, SeenSamples);
            if (member < 0)
            {
                return null;
            }
            reader.Read();
            var ok = member switch
            {
                SeenVersion => reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out version),
                SeenDevice => TryString(ref reader, out device),
                SeenSeq => reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out seq),
                SeenSent => reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out sent),
                SeenSamples => (samples = ReadSamples(ref reader)) is not null,
                _ => Skip(ref reader, ref exact),
            };
            if (!ok)
            {
                return null;
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject || (seen & (SeenDevice | SeenSeq | SeenSamples)) != (SeenDevice | SeenSeq | SeenSamples))
        {
            return null;
        }
        return new DeviceBatch { Version = version, Device = device!, Seq = seq, Sent = sent, Samples = samples! };
    }

    private static List<Sample>? ReadSamples(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return null;
        }
        var samples = new List<Sample>();
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            var sample = ReadSample(ref reader);
            if (sample is null)
            {
                return null;
            }
            samples.Add(sample);
        }
        return reader.TokenType == JsonTokenType.EndArray ? samples : null;
    }

    private static Sample? ReadSample(ref Utf8JsonReader reader)
    {
        const int type = 1, time = 2, value = 4, unit = 8, period = 16, data = 32;
        var seen = 0;
        string? sampleType = null;
        DateTimeOffset at = default;
        double? number = null;
        string? unitText = null;
        double? periodMs = null;
        List<double>? values = null;
        var exact = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var member = Member(ref reader, ref seen, "type"u8, type, "t"u8, time, "v"u8, value, "unit"u8, unit, "periodMs"u8, period,
                "data"u8, data);
            if (member < 0)
            {
                return null;
            }
            reader.Read();
            var ok = member switch
            {
                type => TryString(ref reader, out sampleType, s_types),
                time => reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out at),
                value => TryNullableDouble(ref reader, out number),
                unit => TryNullableString(ref reader, out unitText, s_units),
                period => TryNullableDouble(ref reader, out periodMs),
                data => TryDoubles(ref reader, out values),
                _ => Skip(ref reader, ref exact),
            };
            if (!ok || !exact)
            {
                // Unknown members inside a sample are rare enough to leave to the contract parser.
                return null;
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject || (seen & type) == 0)
        {
            return null;
        }
        return new Sample { Type = sampleType!, Time = at, Value = number, Unit = unitText, PeriodMs = periodMs, Data = values };
    }

    /// <summary>
    /// Which of the six named members the current property is (its flag), 0 for an unknown one, -1 when it repeats a
    /// member already read or looks like serializer metadata ($id, $type...): those go to the contract parser.
    /// </summary>
    private static int Member(ref Utf8JsonReader reader, ref int seen,
        ReadOnlySpan<byte> n1, int f1, ReadOnlySpan<byte> n2, int f2, ReadOnlySpan<byte> n3, int f3,
        ReadOnlySpan<byte> n4, int f4, ReadOnlySpan<byte> n5, int f5, ReadOnlySpan<byte> n6 = default, int f6 = 0)
    {
        var flag = reader.ValueTextEquals(n1) ? f1
            : reader.ValueTextEquals(n2) ? f2
            : reader.ValueTextEquals(n3) ? f3
            : reader.ValueTextEquals(n4) ? f4
            : reader.ValueTextEquals(n5) ? f5
            : f6 != 0 && reader.ValueTextEquals(n6) ? f6
            : 0;
        if (flag == 0)
        {
            return reader.ValueSpan.Length > 0 && (reader.ValueSpan[0] == (byte)'$' || reader.ValueIsEscaped) ? -1 : 0;
        }
        if ((seen & flag) != 0)
        {
            return -1;
        }
        seen |= flag;
        return flag;
    }

    private static bool Skip(ref Utf8JsonReader reader, ref bool exact)
    {
        exact = false;
        reader.Skip();
        return true;
    }

    private static bool TryString(ref Utf8JsonReader reader, out string? value, (byte[] Utf8, string Text)[]? known = null)
    {
        value = null;
        if (reader.TokenType != JsonTokenType.String)
        {
            return false;
        }
        if (known is not null && !reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            foreach (var (utf8, text) in known)
            {
                if (reader.ValueSpan.SequenceEqual(utf8))
                {
                    value = text;
                    return true;
                }
            }
        }
        value = reader.GetString();
        return value is not null;
    }

    private static bool TryNullableString(ref Utf8JsonReader reader, out string? value, (byte[] Utf8, string Text)[] known)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }
        return TryString(ref reader, out value, known);
    }

    private static bool TryNullableDouble(ref Utf8JsonReader reader, out double? value)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var number))
        {
            return false;
        }
        value = number;
        return true;
    }

    private static bool TryDoubles(ref Utf8JsonReader reader, out List<double>? values)
    {
        values = null;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }
        var list = new List<double>();
        while (reader.Read() && reader.TokenType == JsonTokenType.Number)
        {
            if (!reader.TryGetDouble(out var number))
            {
                return false;
            }
            list.Add(number);
        }
        values = list;
        return reader.TokenType == JsonTokenType.EndArray;
    }
}
