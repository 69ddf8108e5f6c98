using System.Globalization;
using System.Text;

namespace PatientStream.Ingest.Influx;

/// <summary>A value that line protocol cannot carry (a newline in a name or tag, a non-finite float, no fields).</summary>
public sealed class LineProtocolException(string message) : Exception(message);

/// <summary>
/// InfluxDB line protocol: <c>measurement,tag=v field=1.5 1700000000000000000</c>. Escaping per the spec: commas and
/// spaces in measurements; commas, equals signs and spaces in tag keys, tag values and field keys; double quotes and
/// backslashes in string field values.
/// </summary>
public static class LineProtocol
{
    private static readonly System.Buffers.SearchValues<char> s_measurementSpecial = System.Buffers.SearchValues.Create("\n\r, ");
    private static readonly System.Buffers.SearchValues<char> s_keySpecial = System.Buffers.SearchValues.Create("\n\r, =");

    /// <summary>Appends one line (without the trailing newline).</summary>
    public static void Append(StringBuilder builder, InfluxPoint point)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(point);
        if (string.IsNullOrEmpty(point.Measurement))
        {
            throw new LineProtocolException("A point needs a measurement.");
        }
        if (point.Fields.Count == 0)
        {
            throw new LineProtocolException("A point needs at least one field.");
        }
        var start = builder.Length;
        try
        {
            AppendEscaped(builder, point.Measurement, isMeasurement: true);
            AppendTags(builder, point.Tags);
            builder.Append(' ');
            for (var i = 0; i < point.Fields.Count; i++)
            {
                if (i > 0)
                {
                    builder.Append(',');
                }
                AppendField(builder, point.Fields[i]);
            }
            builder.Append(CultureInfo.InvariantCulture, $" {point.TimestampNs}");
        }
        catch
        {
            builder.Length = start;
            throw;
        }
    }

    /// <summary>One point as a line.</summary>
    public static string Format(InfluxPoint point)
    {
        var builder = new StringBuilder(128);
        Append(builder, point);
        return builder.ToString();
    }

    private static void AppendTags(StringBuilder builder, IReadOnlyList<KeyValuePair<string, string>> tags)
    {
        if (tags.Count == 0)
        {
            return;
        }
        // InfluxDB wants tags sorted by key (byte order) for the fastest writes; sorting here keeps one series key per series.
        var sorted = IsSorted(tags) ? tags : [.. tags.OrderBy(t => t.Key, StringComparer.Ordinal)];
        foreach (var (key, value) in sorted)
        {
            if (string.IsNullOrEmpty(key))
            {
                throw new LineProtocolException("A tag key must not be empty.");
            }
            // An empty tag value is not representable; leaving the tag out is what InfluxDB does with it as well.
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }
            builder.Append(',');
            AppendEscaped(builder, key, isMeasurement: false);
            builder.Append('=');
            AppendEscaped(builder, value, isMeasurement: false);
        }
    }

    // The stage's own points come sorted already; checking is far cheaper than sorting every line.
    private static bool IsSorted(IReadOnlyList<KeyValuePair<string, string>> tags)
    {
        for (var i = 1; i < tags.Count; i++)
        {
            if (string.CompareOrdinal(tags[i - 1].Key, tags[i].Key) > 0)
            {
                return false;
            }
        }
        return true;
    }

    private static void AppendField(StringBuilder builder, InfluxField field)
    {
        if (string.IsNullOrEmpty(field.Key))
        {
            throw new LineProtocolException("A field key must not be empty.");
        }
        AppendEscaped(builder, field.Key, isMeasurement: false);
        builder.Append('=');
        switch (field.Kind)
        {
            case InfluxFieldKind.Number:
                if (!double.IsFinite(field.Number))
                {
                    throw new LineProtocolException($"Field '{field.Key}' is not a finite number.");
                }
                builder.Append(CultureInfo.InvariantCulture, $"{field.Number:R}");
                break;
            case InfluxFieldKind.Whole:
                builder.Append(field.Whole.ToString(CultureInfo.InvariantCulture)).Append('i');
                break;
            case InfluxFieldKind.Flag:
                builder.Append(field.Flag ? "true" : "false");
                break;
            default:
                builder.Append('"');
                foreach (var c in field.Text ?? "")
                {
                    if (c is '"' or '\\')
                    {
                        builder.Append('\\');
                    }
                    builder.Append(c);
                }
                builder.Append('"');
                break;
        }
    }

    private static void AppendEscaped(StringBuilder builder, string text, bool isMeasurement)
    {
        if (text.AsSpan().IndexOfAny(isMeasurement ? s_measurementSpecial : s_keySpecial) < 0)
        {
            builder.Append(text);
            return;
        }
        foreach (var c in text)
        {
            switch (c)
            {
                case '\n' or '\r':
                    throw new LineProtocolException("Line protocol cannot carry a newline in a measurement, tag or field key.");
                case ',' or ' ':
                    builder.Append('\\');
                    break;
                case '=' when !isMeasurement:
                    builder.Append('\\');
                    break;
                default:
                    break;
            }
            builder.Append(c);
        }
    }
}
