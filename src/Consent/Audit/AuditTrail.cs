using System.Globalization;
using System.Text.Json.Nodes;
using PatientStream.Consent.Ca;
using PatientStream.Consent.Devices;
using PatientStream.Consent.Policy;
using PatientStream.Consent.Records;

namespace PatientStream.Consent.Audit;

/// <summary>
/// Writes the consent service's audit trail as FHIR R4 AuditEvent resources: every attestation attempt,
/// certificate issuance and revocation, device binding, and (aggregated) consent decisions. Each event carries a
/// subtype in <see cref="SubtypeSystem"/> so it can be searched for (<c>AuditEvent?subtype=…</c>).
/// </summary>
public sealed class AuditTrail(IConsentRecords records, TimeProvider clock)
{
    public const string SubtypeSystem = "urn:patientstream:audit";
    private const string Dcm = "http://dicom.nema.org/resources/ontology/DCM";

    private readonly IConsentRecords _records = records;
    private readonly TimeProvider _clock = clock;

    /// <summary>One attestation attempt; <paramref name="errorCode"/> is null on success.</summary>
    public Task AttestationAsync(string mechanism, string? deviceId, string? errorCode, string message, CancellationToken cancellationToken)
    {
        var audit = Event(Dcm, "110114", "User Authentication", "attestation-" + mechanism, "E", errorCode is null ? "0" : "4", message);
        audit["agent"] = new JsonArray(DeviceAgent(deviceId));
        var entity = Entity(DeviceWhat(deviceId), ("mechanism", mechanism));
        if (errorCode is not null)
        {
            Detail(entity, "error", errorCode);
        }

        audit["entity"] = new JsonArray(entity);
        return _records.AppendAuditAsync(audit, cancellationToken);
    }

    public Task CertificateIssuedAsync(IssuedCertificate issued, string how, CancellationToken cancellationToken)
    {
        var audit = Event(Dcm, "110113", "Security Alert", "certificate-issued", "C", "0", $"operational certificate issued ({how})");
        audit["agent"] = new JsonArray(ServiceAgent(), DeviceAgent(issued.DeviceId, requestor: false));
        audit["entity"] = new JsonArray(Entity(
            DeviceWhat(issued.DeviceId),
            ("serial", issued.Serial),
            ("notAfter", issued.NotAfter.ToString("O", CultureInfo.InvariantCulture)),
            ("how", how)));
        return _records.AppendAuditAsync(audit, cancellationToken);
    }

    public Task CertificateRevokedAsync(string deviceId, IReadOnlyList<string> serials, string reason, string by, CancellationToken cancellationToken)
    {
        var audit = Event(Dcm, "110113", "Security Alert", "certificate-revoked", "U", "0", "device revoked: " + reason);
        audit["agent"] = new JsonArray(PersonAgent(by), DeviceAgent(deviceId, requestor: false));
        audit["entity"] = new JsonArray(Entity(DeviceWhat(deviceId), ("serials", string.Join(',', serials)), ("reason", reason)));
        return _records.AppendAuditAsync(audit, cancellationToken);
    }

    public Task DeviceReinstatedAsync(string deviceId, string by, CancellationToken cancellationToken)
    {
        var audit = Event(Dcm, "110113", "Security Alert", "device-reinstated", "U", "0", "revoked device reinstated");
        audit["agent"] = new JsonArray(PersonAgent(by), DeviceAgent(deviceId, requestor: false));
        audit["entity"] = new JsonArray(Entity(DeviceWhat(deviceId)));
        return _records.AppendAuditAsync(audit, cancellationToken);
    }

    public Task DeviceBindingAsync(DeviceBinding binding, string clinician, bool bound, CancellationToken cancellationToken)
    {
        var audit = Event(Dcm, "110113", "Security Alert", bound ? "device-bound" : "device-unbound", "U", "0", bound ? "device bound to patient" : "device unbound");
        audit["agent"] = new JsonArray(PersonAgent(clinician));
        var entities = new JsonArray(Entity(DeviceWhat(binding.DeviceId)));
        if (binding.Patient is not null)
        {
            entities.Add(Entity(new JsonObject { ["reference"] = binding.Patient }));
        }

        audit["entity"] = entities;
        return _records.AppendAuditAsync(audit, cancellationToken);
    }

    /// <summary>A consent decision, standing for <paramref name="count"/> identical decisions since <paramref name="since"/>.</summary>
    public Task ConsentDecisionAsync(ConsentRequest request, ConsentDecision decision, long count, DateTimeOffset since, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(decision);
        var outcome = decision.Decision switch
        {
            DecisionOutcome.Permit => "permit",
            DecisionOutcome.Deny => "deny",
            _ => "partial",
        };
        var audit = Event(Dcm, "110112", "Query", "consent-decision", "E", "0", $"consent decision: {outcome}");
        var (system, purpose) = PurposeOfUse.Split(request.Purpose);
        audit["purposeOfEvent"] = new JsonArray(new JsonObject
        {
            ["coding"] = new JsonArray(new JsonObject { ["system"] = system, ["code"] = purpose }),
        });
        var agents = new JsonArray(ServiceAgent());
        if (request.Device is not null)
        {
            agents.Add(new JsonObject { ["who"] = new JsonObject { ["reference"] = request.Device }, ["requestor"] = true });
        }

        if (request.Actor is not null)
        {
            agents.Add(new JsonObject { ["who"] = new JsonObject { ["reference"] = request.Actor }, ["requestor"] = false });
        }

        audit["agent"] = agents;
        var entities = new JsonArray(Entity(
            new JsonObject { ["reference"] = request.Patient },
            ("decision", outcome),
            ("count", count.ToString(CultureInfo.InvariantCulture)),
            ("since", since.ToString("O", CultureInfo.InvariantCulture))));
        foreach (var code in decision.Codes)
        {
            var entity = Entity(code.Consent is null ? new JsonObject { ["display"] = "no applicable consent" } : new JsonObject { ["reference"] = code.Consent });
            Detail(entity, "code", code.Code);
            Detail(entity, "decision", code.Decision == DecisionOutcome.Permit ? "permit" : "deny");
            if (code.Provision is not null)
            {
                Detail(entity, "provision", code.Provision);
            }

            entities.Add(entity);
        }

        audit["entity"] = entities;
        return _records.AppendAuditAsync(audit, cancellationToken);
    }

    private JsonObject Event(string typeSystem, string type, string display, string subtype, string action, string outcome, string description) => new()
    {
        ["resourceType"] = "AuditEvent",
        ["type"] = new JsonObject { ["system"] = typeSystem, ["code"] = type, ["display"] = display },
        ["subtype"] = new JsonArray(new JsonObject { ["system"] = SubtypeSystem, ["code"] = subtype }),
        ["action"] = action,
        ["recorded"] = _clock.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ss.fffK", CultureInfo.InvariantCulture),
        ["outcome"] = outcome,
        ["outcomeDesc"] = description,
        ["source"] = new JsonObject
        {
            ["site"] = "PatientStream",
            ["observer"] = new JsonObject { ["display"] = "PatientStream consent service" },
            ["type"] = new JsonArray(new JsonObject
            {
                ["system"] = "http://terminology.hl7.org/CodeSystem/security-source-type",
                ["code"] = "4",
                ["display"] = "Application Server",
            }),
        },
    };

    private static JsonObject DeviceWhat(string? deviceId) => deviceId is null
        ? new JsonObject { ["display"] = "unidentified device" }
        : new JsonObject { ["identifier"] = new JsonObject { ["system"] = DeviceIdentifier.System, ["value"] = deviceId } };

    private static JsonObject DeviceAgent(string? deviceId, bool requestor = true) =>
        new() { ["who"] = DeviceWhat(deviceId), ["requestor"] = requestor };

    private static JsonObject PersonAgent(string who) =>
        new() { ["who"] = who.Contains('/', StringComparison.Ordinal) ? new JsonObject { ["reference"] = who } : new JsonObject { ["display"] = who }, ["requestor"] = true };

    private static JsonObject ServiceAgent() =>
        new() { ["who"] = new JsonObject { ["display"] = "PatientStream consent service" }, ["requestor"] = false };

    private static JsonObject Entity(JsonObject what, params (string Type, string Value)[] details)
    {
        var entity = new JsonObject { ["what"] = what };
        foreach (var (type, value) in details)
        {
            Detail(entity, type, value);
        }

        return entity;
    }

    private static void Detail(JsonObject entity, string type, string value)
    {
        // FHIR forbids empty strings: a detail with nothing to say (a device revoked before any certificate) is left out.
        if (value.Length == 0)
        {
            return;
        }

        if (entity["detail"] is not JsonArray details)
        {
            details = [];
            entity["detail"] = details;
        }

        details.Add(new JsonObject { ["type"] = type, ["valueString"] = value });
    }
}
