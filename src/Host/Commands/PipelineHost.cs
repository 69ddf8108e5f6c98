using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PatientStream.Fhir.Http;

namespace PatientStream.Host.Commands;

/// <summary>The generic host the pipeline commands (ingest, analytics) share: console logs and the FHIR store serve opens.</summary>
internal static class PipelineHost
{
    /// <param name="data">Full path of the data folder; the FHIR store lives in its <c>fhir</c> folder as for <c>serve --data-dir</c>.</param>
    public static HostApplicationBuilder CreateBuilder(string data, string store, string? postgresConnectionString, LogLevel minimumLevel)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = data });
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(minimumLevel);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.AddFhirServer(o =>
        {
            o.Store = store == "postgres" ? FhirStoreKind.Postgres : FhirStoreKind.Sqlite;
            o.DataDirectory = Path.Combine(data, "fhir");
            o.PostgresConnectionString = postgresConnectionString;
        });
        return builder;
    }
}
