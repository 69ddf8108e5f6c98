using System.Text.Json.Serialization;

namespace PatientStream.Analytics.Contracts;

/// <summary>Everything a patient actor accepts. Closed set: measurements, clinical context and clock ticks.</summary>
/// <param name="PatientId">Patient the input is for.</param>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Measurement), "measurement")]
[JsonDerivedType(typeof(ClinicalContext), "clinical-context")]
[JsonDerivedType(typeof(ClockTick), "clock-tick")]
public abstract record PatientInput(string PatientId);

/// <summary>
/// Facts from the clinical record that change how the patient is scored, produced by the merge with
/// <c>ps.clinical.records</c>.
/// </summary>
/// <param name="PatientId">Patient.</param>
/// <param name="Time">When the record stated it.</param>
/// <param name="HypercapnicRespiratoryFailure">A clinician recorded hypercapnic (type 2) respiratory failure with a target SpO2 of 88–92%: NEWS2 uses SpO2 scale 2.</param>
/// <param name="HeartFailure">Heart failure is recorded: weight gain is watched.</param>
public sealed record ClinicalContext(
    string PatientId,
    DateTimeOffset Time,
    bool HypercapnicRespiratoryFailure,
    bool HeartFailure) : PatientInput(PatientId);

/// <summary>
/// The passing of time, sent to live actors periodically so that silence (no data) can be noticed.
/// A tick does not count as activity for passivation.
/// </summary>
/// <param name="PatientId">Patient.</param>
/// <param name="Now">The current time.</param>
public sealed record ClockTick(string PatientId, DateTimeOffset Now) : PatientInput(PatientId);
