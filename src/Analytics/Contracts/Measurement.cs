namespace PatientStream.Analytics.Contracts;

/// <summary>
/// One normalized reading as the ingest stage hands it to the per-patient actors: already validated,
/// deduplicated and converted to UCUM. <see cref="Code"/> is the LOINC code (or a <see cref="MeasurementCodes"/>
/// local code for device telemetry such as battery level).
/// </summary>
/// <param name="PatientId">Patient the reading belongs to (the Kafka key).</param>
/// <param name="DeviceId">Device that produced it.</param>
/// <param name="Code">LOINC code or local telemetry code.</param>
/// <param name="Time">Effective time of the reading (device clock, corrected by ingest).</param>
/// <param name="Value">Numeric value in <paramref name="Unit"/>.</param>
/// <param name="Unit">UCUM unit.</param>
/// <param name="Quality">Flags raised by ingest's plausibility and ordering checks.</param>
/// <param name="ObservationReference">FHIR reference of the Observation that carries this reading (e.g. "Observation/123"), when one exists.</param>
public sealed record Measurement(
    string PatientId,
    string DeviceId,
    string Code,
    DateTimeOffset Time,
    double Value,
    string Unit,
    MeasurementQuality Quality = MeasurementQuality.None,
    string? ObservationReference = null) : PatientInput(PatientId);

/// <summary>Quality flags set by ingest; analytics never scores an implausible reading.</summary>
[Flags]
public enum MeasurementQuality
{
    None = 0,
    /// <summary>Outside the physiologically plausible range for its code.</summary>
    Implausible = 1,
    /// <summary>Arrived after newer readings of the same code.</summary>
    OutOfOrder = 2,
    /// <summary>Arrived much later than its effective time.</summary>
    Late = 4,
    /// <summary>The device flagged the reading (motion artefact, poor contact).</summary>
    DeviceFlagged = 8,
}
