using System.Net;
using Microsoft.AspNetCore.Http;
using PatientStream.Fhir.Errors;

namespace PatientStream.Fhir.Http;

/// <summary>Content negotiation: this server speaks FHIR JSON only (_format, Accept and Content-Type are checked).</summary>
internal sealed class FhirFormatFilter : IEndpointFilter
{
    private static readonly string[] JsonFormats = ["json", "application/json", "application/fhir+json", "application/json+fhir"];

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var request = context.HttpContext.Request;
        // An unescaped '+' in a query string arrives as a space: "application/fhir+json" becomes "application/fhir json".
        var format = request.Query["_format"].ToString().Replace(' ', '+');
        if (format.Length > 0 && !JsonFormats.Any(f => format.StartsWith(f, StringComparison.OrdinalIgnoreCase)))
        {
            throw new FhirException(HttpStatusCode.NotAcceptable, "UNSUPPORTED_FORMAT", $"_format '{format}' is not supported; this server returns application/fhir+json.");
        }

        var accept = request.Headers.Accept.ToString();
        if (format.Length == 0 && accept.Length > 0 && !accept.Contains("json", StringComparison.OrdinalIgnoreCase) && !accept.Contains("*/*", StringComparison.Ordinal))
        {
            throw new FhirException(HttpStatusCode.NotAcceptable, "UNSUPPORTED_FORMAT", $"Accept '{accept}' cannot be served; this server returns application/fhir+json.");
        }

        var contentType = request.ContentType;
        if (request.ContentLength is > 0 or null && contentType is not null && request.Method is "POST" or "PUT"
            && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase) && !contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            throw new FhirException(HttpStatusCode.UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", $"Content-Type '{contentType}' is not supported; send application/fhir+json.");
        }

        return next(context);
    }
}
