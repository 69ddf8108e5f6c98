namespace PatientStream.Ingest.Influx;

/// <summary>A field value of a point: float, integer, string or boolean (the line-protocol types).</summary>
public readonly record struct InfluxField
{
    private InfluxField(string key, InfluxFieldKind kind, double number, long whole, string? text, bool flag)
    {
        Key = key;
        Kind = kind;
        Number = number;
        Whole = whole;
        Text = text;
        Flag = flag;
    }

    public string Key { get; }
    public InfluxFieldKind Kind { get; }
    public double Number { get; }
    public long Whole { get; }
    public string? Text { get; }
    public bool Flag { get; }

    public static InfluxField OfNumber(string key, double value) => new(key, InfluxFieldKind.Number, value, 0, null, false);

    public static InfluxField OfWhole(string key, long value) => new(key, InfluxFieldKind.Whole, 0, value, null, false);

    public static InfluxField OfText(string key, string value) => new(key, InfluxFieldKind.Text, 0, 0, value, false);

    public static InfluxField OfFlag(string key, bool value) => new(key, InfluxFieldKind.Flag, 0, 0, null, value);
}

/// <summary>Line-protocol field types: float, integer (suffix i), string (quoted), boolean.</summary>
public enum InfluxFieldKind
{
    Number,
    Whole,
    Text,
    Flag,
}

/// <summary>One point: measurement, tags (sorted on write), at least one field, and a nanosecond Unix timestamp.</summary>
public sealed record InfluxPoint(
    string Measurement,
    IReadOnlyList<KeyValuePair<string, string>> Tags,
    IReadOnlyList<InfluxField> Fields,
    long TimestampNs)
{
    /// <summary>Nanoseconds since the Unix epoch, as line protocol wants them.</summary>
    public static long ToUnixNanoseconds(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
}

/// <summary>What a write did: every point not listed in <see cref="Failed"/> is stored.</summary>
public sealed record InfluxWriteResult(IReadOnlyList<InfluxPointFailure> Failed)
{
    public static InfluxWriteResult Success { get; } = new([]);
}

/// <summary>A point InfluxDB refused, with a stable code (<see cref="Cleaning.RejectCodes"/>) and the server's reason.</summary>
/// <param name="Index">Position of the point in the list given to the writer.</param>
public sealed record InfluxPointFailure(int Index, string Code, string Detail)
{
    public string Reason => $"{Code}: {Detail}";
}

/// <summary>
/// Writes points to a time-series store. Writes must be idempotent: writing the same series and timestamp again
/// overwrites. Throws <see cref="InfluxWriteException"/> when the store cannot take the write at all (the caller
/// retries the batch); refused points come back in the result.
/// </summary>
public interface IInfluxWriter
{
    Task<InfluxWriteResult> WriteAsync(IReadOnlyList<InfluxPoint> points, CancellationToken cancellationToken);
}

/// <summary>The store is unreachable, overloaded beyond the retries, or refuses every write (auth, unknown database).</summary>
public sealed class InfluxWriteException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Stable code: influx.unavailable, influx.unauthorized, influx.database-not-found, influx.request-rejected.</summary>
    public string Code { get; } = code;

    public const string Unavailable = "influx.unavailable";
    public const string Unauthorized = "influx.unauthorized";
    public const string DatabaseNotFound = "influx.database-not-found";
    public const string RequestRejected = "influx.request-rejected";
}
