using PatientStream.Ingest.Cleaning;

namespace PatientStream.Ingest.Influx;

/// <summary>
/// Turns clean samples into points: measurement per sample type, tags patient/device/quality, field <c>value</c>,
/// and the device's original value and unit when a conversion was applied. A waveform becomes one point per data
/// value, spaced by its period.
/// </summary>
public static class SamplePoints
{
    /// <summary>Appends the points of <paramref name="sample"/>; <paramref name="owners"/> gets <paramref name="owner"/> once per point.</summary>
    public static void Append(CleanSample sample, int owner, List<InfluxPoint> points, List<int> owners) =>
        Append(sample, owner, points, owners, tagCache: null);

    /// <param name="tagCache">Tag sets by (device, patient, quality), shared by the points of one write: a batch has few.</param>
    public static void Append(CleanSample sample, int owner, List<InfluxPoint> points, List<int> owners,
        Dictionary<(string Device, string Patient, SampleQuality Quality), KeyValuePair<string, string>[]>? tagCache)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(owners);
        var key = (sample.DeviceId, sample.PatientId, sample.Quality);
        if (tagCache is null || !tagCache.TryGetValue(key, out var tags))
        {
            tags =
            [
                new("device", sample.DeviceId), new("patient", sample.PatientId), new("quality", Quality(sample.Quality)),
            ];
            tagCache?.Add(key, tags);
        }
        var start = InfluxPoint.ToUnixNanoseconds(sample.Time);
        if (sample.Data is { } data)
        {
            var periodNs = sample.PeriodMs!.Value * 1_000_000;
            for (var i = 0; i < data.Count; i++)
            {
                points.Add(new InfluxPoint(sample.Type.Name, tags, [InfluxField.OfNumber("value", data[i])], start + (long)Math.Round(i * periodNs)));
                owners.Add(owner);
            }
            return;
        }
        InfluxField[] fields = sample.Conversion is { } conversion
            ? [InfluxField.OfNumber("value", sample.Value!.Value), InfluxField.OfNumber("source_value", conversion.FromValue),
                InfluxField.OfText("source_unit", conversion.FromUnit)]
            : [InfluxField.OfNumber("value", sample.Value!.Value)];
        points.Add(new InfluxPoint(sample.Type.Name, tags, fields, start));
        owners.Add(owner);
    }

    /// <summary>The quality tag: "ok", or the flags joined by '+' ("implausible+out-of-order").</summary>
    public static string Quality(SampleQuality quality)
    {
        if (quality == SampleQuality.None)
        {
            return "ok";
        }
        var parts = new List<string>(4);
        if (quality.HasFlag(SampleQuality.Implausible))
        {
            parts.Add("implausible");
        }
        if (quality.HasFlag(SampleQuality.OutOfOrder))
        {
            parts.Add("out-of-order");
        }
        if (quality.HasFlag(SampleQuality.Late))
        {
            parts.Add("late");
        }
        if (quality.HasFlag(SampleQuality.DeviceFlagged))
        {
            parts.Add("device-flagged");
        }
        return string.Join('+', parts);
    }
}
