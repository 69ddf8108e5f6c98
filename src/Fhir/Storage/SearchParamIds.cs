using System.Collections.Frozen;
using System.Data.Common;
using PatientStream.Fhir.Definitions;

namespace PatientStream.Fhir.Storage;

/// <summary>
/// Small integer ids for (resource type, search parameter) pairs, persisted in sp_param. Index rows carry the id
/// instead of two strings: the index B-trees stay small and each row binds one integer instead of two strings.
/// Ids are assigned once at start-up for every pair the definitions index (new pairs get new ids; old ids never
/// change).
/// </summary>
public sealed class SearchParamIds
{
    private readonly FrozenDictionary<(string Type, string Param), long> _ids;
    private readonly FrozenDictionary<long, (string Type, string Param)> _pairs;

    private SearchParamIds(Dictionary<(string, string), long> ids)
    {
        _ids = ids.ToFrozenDictionary();
        _pairs = ids.ToFrozenDictionary(kv => kv.Value, kv => kv.Key);
    }

    /// <summary>The id of a pair, or -1 (matching no row) for a pair nothing is indexed under.</summary>
    public long Id(string type, string param) => _ids.TryGetValue((type, param), out var id) ? id : -1;

    public (string Type, string Param) Pair(long id) => _pairs[id];

    public IEnumerable<long> IdsOfType(string type) => _ids.Where(kv => kv.Key.Type == type).Select(kv => kv.Value);

    internal static async Task<SearchParamIds> LoadAsync(DbConnection connection, FhirDefinitions definitions, CancellationToken ct)
    {
        var existing = await ReadAsync(connection, ct).ConfigureAwait(false);
        var next = existing.Count == 0 ? 1 : existing.Values.Max() + 1;
        var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            foreach (var pair in Pairs(definitions).Where(p => !existing.ContainsKey(p)))
            {
                await SqlFhirStore.ExecuteAsync(connection, transaction, "INSERT INTO sp_param (pid, type, param) VALUES (@p0, @p1, @p2) ON CONFLICT (type, param) DO NOTHING", [next++, pair.Type, pair.Param], ct).ConfigureAwait(false);
            }

            await transaction.CommitAsync(ct).ConfigureAwait(false);
        }

        return new SearchParamIds(await ReadAsync(connection, ct).ConfigureAwait(false));
    }

    private static IEnumerable<(string Type, string Param)> Pairs(FhirDefinitions definitions)
    {
        foreach (var type in definitions.ResourceTypes.Order(StringComparer.Ordinal))
        {
            foreach (var sp in definitions.SearchParameters(type).Values.Where(sp => sp.Indexed).OrderBy(sp => sp.Name, StringComparer.Ordinal))
            {
                yield return (type, sp.Name);
                if (sp.Type == SearchParamType.Reference)
                {
                    // Reference.identifier is indexed as a token under "name:identifier" (the :identifier modifier).
                    yield return (type, sp.Name + ":identifier");
                }
            }
        }
    }

    private static async Task<Dictionary<(string, string), long>> ReadAsync(DbConnection connection, CancellationToken ct)
    {
        var ids = new Dictionary<(string, string), long>();
        using var command = SqlFhirStore.CreateCommand(connection, null, "SELECT pid, type, param FROM sp_param", []);
        var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                ids[(reader.GetString(1), reader.GetString(2))] = reader.GetInt64(0);
            }
        }

        return ids;
    }
}
