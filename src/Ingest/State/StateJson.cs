using System.Buffers;
using System.Text;
using System.Text.Json;

namespace PatientStream.Ingest.State;

/// <summary>Dedupe keys as the JSON arrays the state store's bulk inserts expand with <c>json_each</c>.</summary>
internal static class StateJson
{
    /// <summary><c>[[device, seq], ...]</c></summary>
    public static string Batches(IReadOnlyCollection<(string Device, long Seq)> batches)
    {
        var buffer = new ArrayBufferWriter<byte>(batches.Count * 32);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var (device, seq) in batches)
            {
                json.WriteStartArray();
                json.WriteStringValue(device);
                json.WriteNumberValue(seq);
                json.WriteEndArray();
            }
            json.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// <c>[[device, type, [t, ...]], ...]</c>: one entry per series with its times ascending, so the inserts walk the
    /// primary key in order.
    /// </summary>
    public static string Samples(IReadOnlyCollection<(SeriesKey Series, long Ticks)> samples)
    {
        var sorted = samples.ToArray();
        Array.Sort(sorted, static (a, b) =>
        {
            var byDevice = string.CompareOrdinal(a.Series.Device, b.Series.Device);
            if (byDevice != 0)
            {
                return byDevice;
            }
            var byType = string.CompareOrdinal(a.Series.Type, b.Series.Type);
            return byType != 0 ? byType : a.Ticks.CompareTo(b.Ticks);
        });
        var buffer = new ArrayBufferWriter<byte>(samples.Count * 12 + 64);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            for (var i = 0; i < sorted.Length; i++)
            {
                if (i == 0 || sorted[i].Series != sorted[i - 1].Series)
                {
                    if (i > 0)
                    {
                        json.WriteEndArray();
                        json.WriteEndArray();
                    }
                    json.WriteStartArray();
                    json.WriteStringValue(sorted[i].Series.Device);
                    json.WriteStringValue(sorted[i].Series.Type);
                    json.WriteStartArray();
                }
                json.WriteNumberValue(sorted[i].Ticks);
            }
            if (sorted.Length > 0)
            {
                json.WriteEndArray();
                json.WriteEndArray();
            }
            json.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
