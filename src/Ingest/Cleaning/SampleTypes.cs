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

    public bool IsPlausible(double value) => value >= PlausibleMin && value <= PlausibleMax;
}

/// <summary>The sample types and codes of DESIGN.md.</summary>
public static class SampleTypes
{
    public static SampleType HeartRate { get; } = new("heart-rate", "8867-4", "Heart rate", "/min", SampleKind.Scalar, 20, 250);
    public static SampleType Spo2 { get; } = new("spo2", "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%", SampleKind.Scalar, 50, 100);
    public static SampleType RespiratoryRate { get; } = new("respiratory-rate", "9279-1", "Respiratory rate", "/min", SampleKind.Scalar, 3, 60);
    public static SampleType BodyTemperature { get; } = new("body-temperature", "8310-5", "Body temperature", "Cel", SampleKind.Scalar, 30, 43);
    public static SampleType Systolic { get; } = new("systolic", "8480-6", "Systolic blood pressure", "mm[Hg]", SampleKind.Scalar, 50, 260);
    public static SampleType Diastolic { get; } = new("diastolic", "8462-4", "Diastolic blood pressure", "mm[Hg]", SampleKind.Scalar, 20, 160);
    public static SampleType BodyWeight { get; } = new("body-weight", "29463-7", "Body weight", "kg", SampleKind.Scalar, 0.5, 350);
    public static SampleType Steps { get; } = new("steps", "55423-8", "Number of steps", "{steps}", SampleKind.Scalar, 0, 100_000, "activity");
    public static SampleType Glucose { get; } = new("glucose", "2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", SampleKind.Scalar, 20, 600, "laboratory");
    public static SampleType Ecg { get; } = new("ecg", "131328", "MDC_ECG_ELEC_POTL", "mV", SampleKind.Waveform, -10, 10)
    {
        // LOINC has no code for a raw ECG lead trace; ISO/IEEE 11073 MDC is what devices and IHE PCD use.
        CodeSystem = "urn:iso:std:iso:11073:10101",
    };

    /// <summary>Every default type, by name.</summary>
    public static IReadOnlyDictionary<string, SampleType> Defaults { get; } = new[]
    {
        HeartRate, Spo2, RespiratoryRate, BodyTemperature, Systolic, Diastolic, BodyWeight, Steps, Glucose, Ecg,
    }.ToDictionary(t => t.Name, StringComparer.Ordinal);

    /// <summary>LOINC code of the blood-pressure panel that groups systolic and diastolic.</summary>
    public const string BloodPressurePanel = "85354-9";
}
