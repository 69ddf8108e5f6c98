using System.Text.Json;
using System.Text.Json.Nodes;

namespace PatientStream.Consent.Records;

/// <summary>
/// Where Consent, Device and AuditEvent resources live: the FHIR store (src/Fhir). This is the whole surface the
/// consent service needs from it, so the store can be wired in without touching the policy, CA or attestation code.
/// </summary>
public interface IConsentRecords
{
    /// <summary>Every Consent resource whose <c>patient</c> is <paramref name="patient"/> ("Patient/123"), in any status.</summary>
    Task<IReadOnlyList<JsonElement>> ConsentsOfAsync(string patient, CancellationToken cancellationToken);

    /// <summary>The Device resource whose identifier (system <see cref="DeviceIdentifier.System"/>) is <paramref name="deviceId"/>.</summary>
    Task<JsonElement?> FindDeviceAsync(string deviceId, CancellationToken cancellationToken);

    /// <summary>
    /// Creates or updates the Device resource for a device id. Device ids are valid FHIR ids, and the resource is
    /// stored as Device/{deviceId} so the edge can name it without a lookup; returns that reference.
    /// </summary>
    Task<string> SaveDeviceAsync(string deviceId, JsonObject device, CancellationToken cancellationToken);

    /// <summary>Appends one AuditEvent resource.</summary>
    Task AppendAuditAsync(JsonObject auditEvent, CancellationToken cancellationToken);

    /// <summary>
    /// Patients whose Consents and devices whose Device resources changed after <paramref name="cursor"/> (null:
    /// from now on), for invalidating cached decisions.
    /// </summary>
    Task<RecordChanges> ChangesSinceAsync(string? cursor, CancellationToken cancellationToken);
}

/// <summary>Changes since a cursor; <paramref name="Reset"/> means the history was lost and every cached decision must go.</summary>
public sealed record RecordChanges(string Cursor, IReadOnlyList<string> Patients, IReadOnlyList<string> Devices, bool Reset);

/// <summary>How a device id is written into FHIR Device.identifier.</summary>
public static class DeviceIdentifier
{
    public const string System = "urn:patientstream:device-id";
}
