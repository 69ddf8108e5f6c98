using System.CommandLine;

namespace PatientStream.Host.Commands;

/// <summary>The FHIR store options shared by <c>serve</c> and <c>ingest</c>, so both open the same store.</summary>
internal static class StoreOptions
{
    public static Option<string> Store()
    {
        var store = new Option<string>("--store") { Description = "FHIR store: sqlite (embedded default) or postgres.", DefaultValueFactory = _ => "sqlite" };
        store.AcceptOnlyFromAmong("sqlite", "postgres");
        return store;
    }

    public static Option<string?> Postgres() => new("--postgres") { Description = "PostgreSQL connection string (with --store postgres)." };

    public static IEnumerable<string> Problems(string store, string? postgres)
    {
        if (store is not ("sqlite" or "postgres"))
        {
            yield return $"--store must be sqlite or postgres, not '{store}'.";
        }
        if (store == "postgres" && string.IsNullOrWhiteSpace(postgres))
        {
            yield return "--store postgres needs --postgres CONNSTRING.";
        }
    }

    /// <summary>Prints every problem to stderr; true when there were any (the command then exits with 2).</summary>
    public static bool Refuse(IReadOnlyList<string> problems)
    {
        foreach (var problem in problems)
        {
            Console.Error.WriteLine(problem);
        }
        return problems.Count > 0;
    }
}
