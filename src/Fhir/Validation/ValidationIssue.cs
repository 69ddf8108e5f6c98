namespace PatientStream.Fhir.Validation;

/// <summary>One validation finding: a stable code, the OperationOutcome issue type, and the failing element path.</summary>
public sealed record ValidationIssue(string Code, string IssueType, string Expression, string Message);

/// <summary>Stable issue codes (carried in OperationOutcome.issue.details.coding.code).</summary>
public static class IssueCodes
{
    public const string System = "urn:patientstream:fhir:issue";
    public const string MalformedJson = "MALFORMED_JSON";
    public const string NotAResource = "NOT_A_RESOURCE";
    public const string UnknownResourceType = "UNKNOWN_RESOURCE_TYPE";
    public const string UnknownElement = "UNKNOWN_ELEMENT";
    public const string InvalidChoiceType = "INVALID_CHOICE_TYPE";
    public const string WrongJsonType = "WRONG_JSON_TYPE";
    public const string InvalidPrimitive = "INVALID_PRIMITIVE";
    public const string EmptyValue = "EMPTY_VALUE";
    public const string NullValue = "NULL_VALUE";
    public const string ExpectedArray = "EXPECTED_ARRAY";
    public const string UnexpectedArray = "UNEXPECTED_ARRAY";
    public const string TooMany = "CARDINALITY_MAX";
    public const string MissingRequired = "CARDINALITY_MIN";
    public const string InvalidReference = "INVALID_REFERENCE";
    public const string ReferenceTarget = "REFERENCE_TARGET_TYPE";
    public const string CodeNotInValueSet = "CODE_NOT_IN_VALUESET";
    public const string DuplicateChoice = "DUPLICATE_CHOICE";
}
