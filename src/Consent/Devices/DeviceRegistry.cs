using System.Text.Json;
using System.Text.Json.Nodes;
using PatientStream.Consent.Audit;
using PatientStream.Consent.Ca;
using PatientStream.Consent.Records;

namespace PatientStream.Consent.Devices;

/// <summary>A device as the consent service sees it: which patient it is bound to, if any, and whether it is active.</summary>
public sealed record DeviceBinding(string DeviceId, string? Reference, string? Patient, string Status)
{
    public bool IsBound => Patient is not null && Status == "active";
}

/// <summary>
/// The device registry as FHIR Device resources (identifier = device id, patient = bound Patient, status).
/// Binding and unbinding are clinician actions and are audited.
/// </summary>
public sealed class DeviceRegistry(IConsentRecords records, AuditTrail audit)
{
    private readonly IConsentRecords _records = records;
    private readonly AuditTrail _audit = audit;

    public async Task<DeviceBinding?> FindAsync(string deviceId, CancellationToken cancellationToken)
    {
        var device = await _records.FindDeviceAsync(deviceId, cancellationToken).ConfigureAwait(false);
        return device is { } d ? Read(deviceId, d) : null;
    }

    /// <summary>Binds a device to a patient (creating its Device resource on first use).</summary>
    public async Task<DeviceBinding> BindToPatientAsync(string deviceId, string patient, string clinician, CancellationToken cancellationToken)
    {
        DeviceCa.ValidateDeviceId(deviceId);
        if (!patient.StartsWith("Patient/", StringComparison.Ordinal) || patient.Length <= "Patient/".Length)
        {
            throw new ArgumentException("patient must be a reference like Patient/123", nameof(patient));
        }

        var binding = await SaveAsync(deviceId, patient, "active", cancellationToken).ConfigureAwait(false);
        await _audit.DeviceBindingAsync(binding, clinician, bound: true, cancellationToken).ConfigureAwait(false);
        return binding;
    }

    public async Task<DeviceBinding> UnbindFromPatientAsync(string deviceId, string clinician, CancellationToken cancellationToken)
    {
        DeviceCa.ValidateDeviceId(deviceId);
        var current = await FindAsync(deviceId, cancellationToken).ConfigureAwait(false);
        var binding = await SaveAsync(deviceId, null, current?.Status ?? "active", cancellationToken).ConfigureAwait(false);
        await _audit.DeviceBindingAsync(current ?? binding, clinician, bound: false, cancellationToken).ConfigureAwait(false);
        return binding;
    }

    /// <summary>Marks a revoked device inactive so it no longer counts as bound anywhere.</summary>
    public async Task DeactivateAsync(string deviceId, CancellationToken cancellationToken)
    {
        var current = await FindAsync(deviceId, cancellationToken).ConfigureAwait(false);
        if (current is not null)
        {
            await SaveAsync(deviceId, current.Patient, "inactive", cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<DeviceBinding> SaveAsync(string deviceId, string? patient, string status, CancellationToken cancellationToken)
    {
        var device = new JsonObject
        {
            ["resourceType"] = "Device",
            ["identifier"] = new JsonArray(new JsonObject { ["system"] = DeviceIdentifier.System, ["value"] = deviceId }),
            ["status"] = status,
        };
        if (patient is not null)
        {
            device["patient"] = new JsonObject { ["reference"] = patient };
        }

        var reference = await _records.SaveDeviceAsync(deviceId, device, cancellationToken).ConfigureAwait(false);
        return new DeviceBinding(deviceId, reference, patient, status);
    }

    private static DeviceBinding Read(string deviceId, JsonElement device)
    {
        var id = device.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? "Device/" + i.GetString() : null;
        var status = device.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "unknown";
        var patient = device.TryGetProperty("patient", out var p) && p.ValueKind == JsonValueKind.Object
            && p.TryGetProperty("reference", out var r) && r.ValueKind == JsonValueKind.String
                ? r.GetString()
                : null;
        return new DeviceBinding(deviceId, id, patient, status);
    }
}
