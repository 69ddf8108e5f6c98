using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using PatientStream.Consent.Attestation;
using PatientStream.Consent.Attestation.Tpm;
using PatientStream.Consent.Ca;

namespace PatientStream.Consent.Http;

public sealed record RevokeRequest(string Device, string Reason, string By);

public sealed record RevokeResult(string Device, IReadOnlyList<string> RevokedSerials);

public sealed record TpmEnrollmentRequest(string Device, string EndorsementKey);

public static class AttestationApi
{
    /// <summary>
    /// Maps the attestation endpoints under <c>/attestation/v1</c>: <c>POST nonce</c>, <c>POST x509/enroll</c>,
    /// <c>POST tpm/enrollments</c>, <c>POST tpm/challenge</c>, <c>POST tpm/activate</c>, <c>POST renew</c>,
    /// <c>POST revoke</c>, <c>GET ca</c>, <c>GET crl</c> and <c>GET revocations</c>.
    /// </summary>
    public static IEndpointRouteBuilder MapAttestationApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/attestation/v1");
        group.MapPost("/nonce", (DeviceEnrollment enrollment) => Guard(() => Task.FromResult(enrollment.IssueNonce())));
        group.MapPost("/x509/enroll", (HttpContext context, DeviceEnrollment enrollment) =>
            Handle<X509EnrollmentRequest, IssuedCertificate>(context, r => enrollment.EnrollX509Async(r, context.RequestAborted)));
        group.MapPost("/renew", (HttpContext context, DeviceEnrollment enrollment) =>
            Handle<RenewalRequest, IssuedCertificate>(context, r => enrollment.RenewAsync(r, context.RequestAborted)));
        group.MapPost("/tpm/enrollments", (HttpContext context, TpmAttestor tpm) =>
            Handle<TpmEnrollmentRequest, TpmEnrollmentRequest>(context, r =>
            {
                tpm.RegisterEndorsementKey(r.Device, r.EndorsementKey);
                return Task.FromResult(r);
            }));
        group.MapPost("/tpm/challenge", (HttpContext context, TpmAttestor tpm) =>
            Handle<TpmChallengeRequest, TpmChallenge>(context, r => tpm.ChallengeAsync(r, context.RequestAborted)));
        group.MapPost("/tpm/activate", (HttpContext context, TpmAttestor tpm) =>
            Handle<TpmActivationRequest, IssuedCertificate>(context, r => tpm.ActivateAsync(r, context.RequestAborted)));
        group.MapPost("/revoke", (HttpContext context, DeviceEnrollment enrollment) =>
            Handle<RevokeRequest, RevokeResult>(context, async r =>
                new RevokeResult(r.Device, await enrollment.RevokeAsync(r.Device, r.Reason, r.By, context.RequestAborted).ConfigureAwait(false))));
        group.MapGet("/ca", (DeviceCa ca) => Results.Text(ca.CertificatePem, "application/x-pem-file"));
        group.MapGet("/crl", (DeviceCa ca) => Results.Text(File.ReadAllText(ca.Options.CrlPath), "application/x-pem-file"));
        group.MapGet("/revocations", (DeviceCa ca) => Results.Json(ca.Revocations(), OperationOutcomes.Json));
        return endpoints;
    }

    private static async Task<IResult> Handle<TRequest, TResult>(HttpContext context, Func<TRequest, Task<TResult>> work)
        where TRequest : class
    {
        var (request, error) = await OperationOutcomes.ReadAsync<TRequest>(context).ConfigureAwait(false);
        return error ?? await Guard(() => work(request!)).ConfigureAwait(false);
    }

    private static async Task<IResult> Guard<TResult>(Func<Task<TResult>> work)
    {
        try
        {
            return Results.Json(await work().ConfigureAwait(false), OperationOutcomes.Json);
        }
        catch (AttestationException ex)
        {
            return OperationOutcomes.From(ex);
        }
        catch (CertificateAuthorityException ex)
        {
            return OperationOutcomes.Error(StatusCodes.Status400BadRequest, ex.Code.ToString(), ex.Message);
        }
    }
}
