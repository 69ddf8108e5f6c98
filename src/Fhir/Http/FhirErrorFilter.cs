using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using PatientStream.Fhir.Errors;
using PatientStream.Fhir.Service;
using PatientStream.Fhir.Validation;

namespace PatientStream.Fhir.Http;

/// <summary>The one place where failures become OperationOutcome responses with their status codes.</summary>
internal sealed class FhirErrorFilter(ILogger<FhirErrorFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (FhirException ex)
        {
            logger.LogDebug("FHIR request failed: {Code} {Message}", ex.Code, ex.Message);
            return ToResponse(ex);
        }
        catch (JsonException ex)
        {
            return ToResponse(new BadRequestException(IssueCodes.MalformedJson, "The body is not valid JSON: " + ex.Message));
        }
        catch (OperationCanceledException) when (context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            return FhirResponse.Empty((HttpStatusCode)499);
        }
#pragma warning disable CA1031 // The API boundary must answer every failure with an OperationOutcome, never a bare 500.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            logger.LogError(ex, "Unhandled failure in FHIR request {Method} {Path}", context.HttpContext.Request.Method, context.HttpContext.Request.Path);
            return ToResponse(new FhirException(HttpStatusCode.InternalServerError, "INTERNAL_ERROR", "The server failed to process the request."));
        }
    }

    public static FhirResponse ToResponse(FhirException ex) => FhirResponse.Of(ex.Status, OperationOutcomes.From(ex.Issues));
}
