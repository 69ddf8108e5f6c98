namespace PatientStream.Ingest.Cleaning;

/// <summary>
/// Stable codes for everything the ingest stage refuses. They lead every dead-letter reason ("code: detail"), so
/// operators and dashboards can count and filter by them; never rename one.
/// </summary>
public static class RejectCodes
{
    /// <summary>The record is not a <c>RawReading</c> JSON document.</summary>
    public const string PayloadUnparseable = "payload.unparseable";

    /// <summary>The record's contract version is not one this stage reads.</summary>
    public const string PayloadUnsupportedVersion = "payload.unsupported-version";

    /// <summary>The envelope and the batch name different devices, or a device/patient id is empty.</summary>
    public const string PayloadInconsistent = "payload.inconsistent";

    /// <summary>The sample type is not in the catalogue.</summary>
    public const string UnknownType = "sample.unknown-type";

    /// <summary>A scalar without a value, or a waveform without data.</summary>
    public const string MissingValue = "sample.missing-value";

    /// <summary>A value (or waveform point) is NaN or infinite.</summary>
    public const string NotFinite = "sample.not-finite";

    /// <summary>The sample has no unit.</summary>
    public const string MissingUnit = "sample.missing-unit";

    /// <summary>The unit is not accepted for the type.</summary>
    public const string UnknownUnit = "sample.unknown-unit";

    /// <summary>The sample has no timestamp.</summary>
    public const string MissingTime = "sample.missing-time";

    /// <summary>The sample is timestamped further after receipt than device clocks may drift.</summary>
    public const string TimeInFuture = "sample.time-in-future";

    /// <summary>The sample is older than the stage accepts at all.</summary>
    public const string TimeTooOld = "sample.time-too-old";

    /// <summary>A waveform's period or length is unusable.</summary>
    public const string BadWaveform = "sample.bad-waveform";

    /// <summary>The sample arrived later than the allowed lateness behind its series: routed to the late-data path.</summary>
    public const string TooLate = "sample.too-late";

    /// <summary>InfluxDB refused the sample's point in a partial write.</summary>
    public const string InfluxPartialWrite = "sink.influx-partial-write";

    /// <summary>InfluxDB refused the sample's point outright (400 without partial write).</summary>
    public const string InfluxRejected = "sink.influx-rejected";

    public static IReadOnlyList<string> All { get; } =
    [
        PayloadUnparseable, PayloadUnsupportedVersion, PayloadInconsistent, UnknownType, MissingValue, NotFinite, MissingUnit,
        UnknownUnit, MissingTime, TimeInFuture, TimeTooOld, BadWaveform, TooLate, InfluxPartialWrite, InfluxRejected,
    ];
}
