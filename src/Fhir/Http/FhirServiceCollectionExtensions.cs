using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Service;
using PatientStream.Fhir.Storage;

namespace PatientStream.Fhir.Http;

public static class FhirServiceCollectionExtensions
{
    /// <summary>Registers the store, <see cref="FhirService"/> and start-up initialisation (schema) of the store.</summary>
    public static IServiceCollection AddFhirServer(this IServiceCollection services, Action<FhirServerOptions> configure)
    {
        services.AddOptions<FhirServerOptions>().Configure(configure).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FhirServerOptions>, FhirServerOptionsValidator>();
        services.AddSingleton(FhirDefinitions.R4);
        services.AddSingleton<IFhirStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<FhirServerOptions>>().Value;
            SqlDialect dialect = options.Store switch
            {
                FhirStoreKind.Postgres => new PostgresDialect(options.PostgresConnectionString!),
                _ => new SqliteDialect(SqlitePath(options.DataDirectory!)),
            };
            return new SqlFhirStore(dialect, sp.GetRequiredService<FhirDefinitions>());
        });
        services.AddSingleton(sp => new FhirService(sp.GetRequiredService<IFhirStore>(), sp.GetRequiredService<FhirDefinitions>(), TimeProvider.System));
        services.AddSingleton<CapabilityStatementBuilder>();
        services.AddHostedService<FhirStoreInitializer>();
        return services;
    }

    /// <summary>Maps the FHIR REST API under <paramref name="prefix"/>.</summary>
    public static IEndpointRouteBuilder MapFhir(this IEndpointRouteBuilder endpoints, string prefix = "/fhir")
    {
        FhirEndpoints.Map(endpoints, prefix);
        return endpoints;
    }

    private static string SqlitePath(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        return Path.Combine(dataDirectory, "fhir.db");
    }
}

/// <summary>Creates the schema before the server accepts requests (hosted services start before the web server).</summary>
internal sealed class FhirStoreInitializer(IFhirStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
