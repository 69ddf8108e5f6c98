namespace PatientStream.Kafka;

/// <summary>The topic catalogue of DESIGN.md. Keys are patient ids wherever a patient is known.</summary>
public static class KafkaTopics
{
    /// <summary>Gated device batches from the edge: key = patient id, value = <see cref="Contracts.RawReading"/>.</summary>
    public const string ReadingsRaw = "ps.readings.raw";

    /// <summary>Records rejected by any stage: value = <see cref="Contracts.DeadLetter"/>.</summary>
    public const string ReadingsDlq = "ps.readings.dlq";

    /// <summary>FHIR Bundles (or HL7 v2) from the EHR.</summary>
    public const string ClinicalRecords = "ps.clinical.records";

    /// <summary>Alert records raised by the per-patient analytics.</summary>
    public const string Alerts = "ps.alerts";

    public static IReadOnlyList<string> All { get; } = [ReadingsRaw, ReadingsDlq, ClinicalRecords, Alerts];
}
