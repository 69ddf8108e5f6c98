namespace PatientStream.Ingest.Cleaning;

/// <summary>Whether a sample carries one value or a waveform.</summary>
public enum SampleKind
{
    Scalar,
    Waveform,
}

/// <summary>
/// A sample type the ingest stage knows: its code (LOINC unless <see cref="CodeSystem"/> says otherwise), the UCUM unit
/// values are stored in, and the range outside which a value is flagged implausible (flagged, never dropped: a
/// clinician decides).
/// </summary>
public sealed record SampleType(string Name, string Code, string Display, string CanonicalUnit, SampleKind Kind,
    double PlausibleMin, double PlausibleMax, string Category = "vital-signs")
{
    public const string Loinc = "http://loinc.org";

    /// <summary>Code system of <see cref="Code"/>.</summary>
    public string CodeSystem { get; init; } = Loinc;

    /// <summary>When set, samples of this type from one device at one instant become components of one panel Observation with this LOINC code.</summary>
    public string? PanelCode { get; init; }

    /// <summary>
    /// When set, the FHIR store gets one summary Observation per patient and window of this length (UTC-aligned)
    /// instead of one per sample; InfluxDB still gets every sample.
    /// </summary>
    public TimeSpan? Period { get; init; }

    /// <summary>What a summary's valueQuantity holds (min, max and count are components either way).</summary>
    public SummaryStatistic Summary { get; init; } = SummaryStatistic.Mean;

    public bool IsPlausible(double value) => value >= PlausibleMin && value <= PlausibleMax;
}

/// <summary>The value of a period summary Observation.</summary>
public enum SummaryStatistic
{
    /// <summary>The mean of the window's samples (vital signs).</summary>
    Mean,

    /// <summary>The sum of the window's samples (counts such as steps).</summary>
    Sum,
}

/// <summary>The sample types and codes of DESIGN.md, as declared by the shipped default mapping.</summary>
public static class SampleTypes
{
    /// <summary>Every default type, by name (from <c>Mapping/default-mapping.yaml</c>).</summary>
    public static IReadOnlyDictionary<string, SampleType> Defaults => Mapping.MappingLoader.Default().Types;

    public static SampleType HeartRate => Defaults["heart-rate"];
    public static SampleType Spo2 => Defaults["spo2"];
    public static SampleType RespiratoryRate => Defaults["respiratory-rate"];
    public static SampleType BodyTemperature => Defaults["body-temperature"];
    public static SampleType Systolic => Defaults["systolic"];
    public static SampleType Diastolic => Defaults["diastolic"];
    public static SampleType BodyWeight => Defaults["body-weight"];
    public static SampleType Steps => Defaults["steps"];
    public static SampleType Glucose => Defaults["glucose"];
    public static SampleType Ecg => Defaults["ecg"];

    /// <summary>LOINC code of the blood-pressure panel that groups systolic and diastolic.</summary>
    public const string BloodPressurePanel = "85354-9";
}
