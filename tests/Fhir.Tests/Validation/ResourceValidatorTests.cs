using System.Text.Json.Nodes;
using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Validation;

namespace PatientStream.Fhir.Tests.Validation;

public sealed class ResourceValidatorTests
{
    private static readonly ResourceValidator Validator = new(FhirDefinitions.R4);

    private static IReadOnlyList<ValidationIssue> Validate(string json) => Validator.Validate(JsonNode.Parse(json));

    [Fact]
    public void Valid_patient_has_no_issues()
    {
        var issues = Validate("""
            {"resourceType":"Patient","id":"p1","active":true,"gender":"female","birthDate":"1970-03-01",
             "name":[{"family":"Doe","given":["Jane","Q"]}],"_birthDate":{"extension":[{"url":"http://x","valueString":"y"}]},
             "identifier":[{"system":"urn:mrn","value":"123"}],"managingOrganization":{"reference":"Organization/o1"},
             "contact":[{"name":{"family":"Roe"},"telecom":[{"system":"phone","value":"555"}]}],
             "extension":[{"url":"http://example.org/x","valueQuantity":{"value":1.5,"unit":"kg"}}]}
            """);
        Assert.Empty(issues);
    }

    [Fact]
    public void Valid_observation_with_components_and_choice_values_has_no_issues()
    {
        var issues = Validate("""
            {"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},
             "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-11-21T10:00:04Z",
             "component":[{"code":{"text":"sys"},"valueQuantity":{"value":120,"unit":"mm[Hg]","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}
            """);
        Assert.Empty(issues);
    }

    [Theory]
    [InlineData("""{"resourceType":"Patient","foo":1}""", IssueCodes.UnknownElement, "Patient.foo")]
    [InlineData("""{"resourceType":"Patient","active":"yes"}""", IssueCodes.WrongJsonType, "Patient.active")]
    [InlineData("""{"resourceType":"Patient","birthDate":"1970-13-01"}""", IssueCodes.InvalidPrimitive, "Patient.birthDate")]
    [InlineData("""{"resourceType":"Patient","birthDate":"1970-02-30"}""", IssueCodes.InvalidPrimitive, "Patient.birthDate")]
    [InlineData("""{"resourceType":"Patient","id":"has space"}""", IssueCodes.InvalidPrimitive, "Patient.id")]
    [InlineData("""{"resourceType":"Patient","gender":"unknown-gender"}""", IssueCodes.CodeNotInValueSet, "Patient.gender")]
    [InlineData("""{"resourceType":"Patient","name":{"family":"Doe"}}""", IssueCodes.ExpectedArray, "Patient.name")]
    [InlineData("""{"resourceType":"Patient","gender":["male"]}""", IssueCodes.UnexpectedArray, "Patient.gender")]
    [InlineData("""{"resourceType":"Patient","name":[{"given":["A",""]}]}""", IssueCodes.EmptyValue, "Patient.name[0].given[1]")]
    [InlineData("""{"resourceType":"Patient","deceasedString":"x"}""", IssueCodes.InvalidChoiceType, "Patient.deceasedString")]
    [InlineData("""{"resourceType":"Patient","managingOrganization":{"reference":"not a ref"}}""", IssueCodes.InvalidReference, "Patient.managingOrganization.reference")]
    [InlineData("""{"resourceType":"Patient","managingOrganization":{"reference":"Patient/x"}}""", IssueCodes.ReferenceTarget, "Patient.managingOrganization.reference")]
    [InlineData("""{"resourceType":"Observation","code":{"text":"x"}}""", IssueCodes.MissingRequired, "Observation.status")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":"1"}}""", IssueCodes.WrongJsonType, "Observation.valueQuantity.value")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"effectiveDateTime":"2026-11-21T10:00"}""", IssueCodes.InvalidPrimitive, "Observation.effectiveDateTime")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"issued":"2026-11-21"}""", IssueCodes.InvalidPrimitive, "Observation.issued")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueBoolean":true,"valueString":"x"}""", IssueCodes.DuplicateChoice, "Observation.valueString")]
    [InlineData("""{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Patient","active":1}}]}""", IssueCodes.WrongJsonType, "Bundle.entry[0].resource.active")]
    [InlineData("""{"resourceType":"Questionnaire","status":"draft","item":[{"linkId":"a","type":"group","item":[{"linkId":"b","type":"nope"}]}]}""", IssueCodes.CodeNotInValueSet, "Questionnaire.item[0].item[0].type")]
    [InlineData("""{"resourceType":"Patient","contact":[{"gender":"x"}]}""", IssueCodes.CodeNotInValueSet, "Patient.contact[0].gender")]
    [InlineData("""{"resourceType":"Nope"}""", IssueCodes.UnknownResourceType, "resourceType")]
    public void Invalid_resources_report_the_issue_code_at_the_element_path(string json, string code, string path)
    {
        var issues = Validate(json);
        Assert.Contains(issues, i => i.Code == code && i.Expression == path);
    }

    [Fact]
    public void Validation_keeps_going_and_reports_every_issue()
    {
        var issues = Validate("""{"resourceType":"Observation","code":{"text":"x"},"foo":1,"issued":"bad","subject":{"reference":"??"}}""");
        Assert.Equal(
            new[] { "Observation.foo", "Observation.issued", "Observation.status", "Observation.subject.reference" },
            issues.Select(i => i.Expression).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_concrete_resource_type_has_an_element_tree_and_search_parameters()
    {
        var defs = FhirDefinitions.R4;
        Assert.True(defs.ResourceTypes.Count >= 140);
        foreach (var type in defs.ResourceTypes)
        {
            Assert.NotEmpty(defs.Children(type));
            Assert.Contains("_id", defs.SearchParameters(type).Keys);
        }
    }
}
