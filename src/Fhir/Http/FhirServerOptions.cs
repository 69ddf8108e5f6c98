using Microsoft.Extensions.Options;

namespace PatientStream.Fhir.Http;

public enum FhirStoreKind
{
    Sqlite,
    Postgres,
}

/// <summary>FHIR server settings, validated at start-up.</summary>
public sealed class FhirServerOptions
{
    /// <summary>Which store: SQLite (default, embedded) or PostgreSQL.</summary>
    public FhirStoreKind Store { get; set; } = FhirStoreKind.Sqlite;

    /// <summary>Folder for the SQLite database file (fhir.db); created when missing. Required for SQLite.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Npgsql connection string. Required for PostgreSQL.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Page size when a search gives no _count (default 20; at most 1000).</summary>
    public int DefaultPageSize { get; set; } = 20;
}

internal sealed class FhirServerOptionsValidator : IValidateOptions<FhirServerOptions>
{
    public ValidateOptionsResult Validate(string? name, FhirServerOptions options)
    {
        var failures = new List<string>();
        if (options.Store == FhirStoreKind.Sqlite && string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            failures.Add("FhirServerOptions.DataDirectory is required for the SQLite store (--data-dir).");
        }

        if (options.Store == FhirStoreKind.Postgres && string.IsNullOrWhiteSpace(options.PostgresConnectionString))
        {
            failures.Add("FhirServerOptions.PostgresConnectionString is required for the PostgreSQL store (--postgres).");
        }

        if (options.DefaultPageSize is < 1 or > Search.SearchQueryParser.MaxCount)
        {
            failures.Add($"FhirServerOptions.DefaultPageSize must be between 1 and {Search.SearchQueryParser.MaxCount}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
