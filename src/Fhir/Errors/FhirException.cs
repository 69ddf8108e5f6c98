using System.Net;
using PatientStream.Fhir.Validation;

namespace PatientStream.Fhir.Errors;

/// <summary>
/// Base of every failure the FHIR API reports: the HTTP edge maps it to its status code and an OperationOutcome
/// in one place. <see cref="Code"/> is stable and machine-readable.
/// </summary>
public class FhirException : Exception
{
    public FhirException(HttpStatusCode status, string code, string message, IReadOnlyList<ValidationIssue>? issues = null)
        : base(message)
    {
        Status = status;
        Code = code;
        Issues = issues ?? [new ValidationIssue(code, IssueTypeFor(status), string.Empty, message)];
    }

    public FhirException()
        : this(HttpStatusCode.InternalServerError, "ERROR", "FHIR error")
    {
    }

    public FhirException(string message)
        : this(HttpStatusCode.BadRequest, "INVALID", message)
    {
    }

    public FhirException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = HttpStatusCode.InternalServerError;
        Code = "ERROR";
        Issues = [new ValidationIssue(Code, "exception", string.Empty, message)];
    }

    public HttpStatusCode Status { get; }

    public string Code { get; }

    public IReadOnlyList<ValidationIssue> Issues { get; }

    private static string IssueTypeFor(HttpStatusCode status) => status switch
    {
        HttpStatusCode.NotFound => "not-found",
        HttpStatusCode.Gone => "deleted",
        HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict => "conflict",
        HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented => "not-supported",
        HttpStatusCode.UnsupportedMediaType or HttpStatusCode.NotAcceptable => "not-supported",
        HttpStatusCode.UnprocessableEntity => "business-rule",
        HttpStatusCode.BadRequest => "invalid",
        _ => "exception",
    };
}

/// <summary>The resource failed validation (400) with every issue found.</summary>
public sealed class ResourceValidationException(IReadOnlyList<ValidationIssue> issues)
    : FhirException(HttpStatusCode.BadRequest, "VALIDATION_FAILED", $"Resource failed validation with {issues.Count} issue(s).", issues);

public sealed class ResourceNotFoundException(string type, string id)
    : FhirException(HttpStatusCode.NotFound, "NOT_FOUND", $"{type}/{id} is not known.");

public sealed class ResourceGoneException(string type, string id)
    : FhirException(HttpStatusCode.Gone, "DELETED", $"{type}/{id} has been deleted.");

public sealed class VersionConflictException(string type, string id, string expected, string actual)
    : FhirException(HttpStatusCode.PreconditionFailed, "VERSION_CONFLICT", $"{type}/{id} is at version {actual}, not {expected}.");

public sealed class BadRequestException(string code, string message)
    : FhirException(HttpStatusCode.BadRequest, code, message);

public sealed class PreconditionFailedException(string code, string message)
    : FhirException(HttpStatusCode.PreconditionFailed, code, message);
