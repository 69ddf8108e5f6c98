using System.Text.Json.Nodes;

namespace PatientStream.Consent.Tests.Policy;

/// <summary>Builds FHIR R4 Consent JSON for the decision table.</summary>
internal static class ConsentBuilder
{
    public const string Patient = "Patient/123";

    public static JsonObject Given(string id, ProvisionBuilder? provision, string scope = "patient-privacy", string status = "active", string patient = Patient)
    {
        var consent = new JsonObject
        {
            ["resourceType"] = "Consent",
            ["id"] = id,
            ["status"] = status,
            ["scope"] = new JsonObject
            {
                ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/consentscope", ["code"] = scope }),
            },
            ["category"] = new JsonArray(new JsonObject
            {
                ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = "59284-0" }),
            }),
            ["patient"] = new JsonObject { ["reference"] = patient },
        };
        if (provision is not null)
        {
            consent["provision"] = provision.Json;
        }

        return consent;
    }
}

internal sealed class ProvisionBuilder
{
    private ProvisionBuilder(string? type) => Json = type is null ? [] : new JsonObject { ["type"] = type };

    public JsonObject Json { get; }

    public static ProvisionBuilder Permit() => new("permit");

    public static ProvisionBuilder Deny() => new("deny");

    public static ProvisionBuilder Untyped() => new(null);

    public ProvisionBuilder Id(string id) => Set("id", id);

    public ProvisionBuilder Type(string type) => Set("type", type);

    public ProvisionBuilder Period(string? start, string? end) => Set("period", PeriodOf(start, end));

    public ProvisionBuilder DataPeriod(string? start, string? end) => Set("dataPeriod", PeriodOf(start, end));

    public ProvisionBuilder Actor(string reference) => Add("actor", new JsonObject
    {
        ["role"] = Concept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP"),
        ["reference"] = new JsonObject { ["reference"] = reference },
    });

    public ProvisionBuilder Action(string code) => Add("action", Concept("http://terminology.hl7.org/CodeSystem/consentaction", code));

    public ProvisionBuilder Purpose(string code) =>
        Add("purpose", new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v3-ActReason", ["code"] = code });

    public ProvisionBuilder Class(string resourceType) =>
        Add("class", new JsonObject { ["system"] = "http://hl7.org/fhir/resource-types", ["code"] = resourceType });

    public ProvisionBuilder Code(string system, string code) => Add("code", Concept(system, code));

    public ProvisionBuilder SecurityLabel(string code) =>
        Add("securityLabel", new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", ["code"] = code });

    public ProvisionBuilder Nested(ProvisionBuilder child) => Add("provision", child.Json);

    private static JsonObject Concept(string system, string code) =>
        new() { ["coding"] = new JsonArray(new JsonObject { ["system"] = system, ["code"] = code }) };

    private static JsonObject PeriodOf(string? start, string? end)
    {
        var period = new JsonObject();
        if (start is not null)
        {
            period["start"] = start;
        }

        if (end is not null)
        {
            period["end"] = end;
        }

        return period;
    }

    private ProvisionBuilder Set(string name, JsonNode value)
    {
        Json[name] = value;
        return this;
    }

    private ProvisionBuilder Add(string name, JsonNode value)
    {
        if (Json[name] is not JsonArray array)
        {
            array = [];
            Json[name] = array;
        }

        array.Add(value);
        return this;
    }
}
