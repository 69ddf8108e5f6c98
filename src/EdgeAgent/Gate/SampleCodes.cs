namespace PatientStream.EdgeAgent.Gate;

/// <summary>
/// Sample types of the device contract and the codes consent is decided on (DESIGN.md), as "system|code".
/// The names match the ingest stage's sample types.
/// </summary>
public static class SampleCodes
{
    public const string Loinc = "http://loinc.org";

    /// <summary>ISO/IEEE 11073 MDC: LOINC has no code for a raw ECG lead trace.</summary>
    public const string Mdc = "urn:iso:std:iso:11073:10101";

    private static readonly Dictionary<string, string> s_codes = new(StringComparer.Ordinal)
    {
        ["heart-rate"] = Loinc + "|8867-4",
        ["spo2"] = Loinc + "|59408-5",
        ["respiratory-rate"] = Loinc + "|9279-1",
        ["body-temperature"] = Loinc + "|8310-5",
        ["systolic"] = Loinc + "|8480-6",
        ["diastolic"] = Loinc + "|8462-4",
        ["body-weight"] = Loinc + "|29463-7",
        ["steps"] = Loinc + "|55423-8",
        ["glucose"] = Loinc + "|2339-0",
        ["ecg"] = Mdc + "|131328",
    };

    public static IReadOnlyCollection<string> Types => s_codes.Keys;

    /// <summary>The "system|code" of a sample type, or false for a type the contract does not know.</summary>
    public static bool TryGetCode(string type, out string code) => s_codes.TryGetValue(type, out code!);
}
