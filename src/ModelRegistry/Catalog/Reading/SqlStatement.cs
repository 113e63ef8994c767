using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;
using Weasel.Core;
using Weasel.Postgresql;
using Weasel.Storage;
using ICommandBuilder = Weasel.Core.ICommandBuilder;
using IStorageOperation = Weasel.Storage.IStorageOperation;

namespace ModelRegistry.Catalog.Reading;

/// <summary>
/// One SQL statement with numbered parameters (<c>$1</c>, …), each typed, so a null is a typed null; <see cref="ReturnsRows"/> when
/// it answers a result set (a SELECT).
/// </summary>
internal readonly record struct Statement(string Sql, NpgsqlParameter[] Parameters, bool ReturnsRows = false);

/// <summary>
/// A <see cref="Statement"/> queued in Marten's unit of work (it runs in the session's transaction, after the append). Marten's
/// own <c>QueueSqlCommand</c> binds untyped values; this keeps the parameter types, and lets a parameter be used more than once.
/// </summary>
internal partial class SqlOperation(string sql, NpgsqlParameter[] parameters) : IStorageOperation
{
    private static readonly ConcurrentDictionary<string, (string Sql, int[] Parameters)> Placeholders = new();

    // What Marten's own SQL operations name: no document storage to ensure.
    public Type DocumentType => typeof(Marten.Storage.StorageFeatures);

    public void ConfigureCommand(ICommandBuilder builder, IStorageSession session)
    {
        var (text, order) = Placeholders.GetOrAdd(sql, Translate);
        var bound = builder.AppendWithDbParameters(text, '^');
        for (var i = 0; i < bound.Length; i++)
        {
            var source = parameters[order[i]];
            var target = (NpgsqlParameter)bound[i];
            target.NpgsqlDbType = source.NpgsqlDbType;
            target.Value = source.Value;
        }
    }

    public OperationRole Role() => OperationRole.Other;

    public Task PostprocessAsync(DbDataReader reader, IList<Exception> exceptions, CancellationToken token) => Task.CompletedTask;

    /// <summary>The statement with one <c>^</c> per use of a parameter, and which parameter (0-based) each stands for.</summary>
    private static (string, int[]) Translate(string sql)
    {
        var order = new List<int>();
        var text = Numbered().Replace(sql, m =>
        {
            order.Add(int.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture) - 1);
            return "^";
        });
        return (text, [.. order]);
    }

    [GeneratedRegex(@"\$(\d+)")]
    private static partial Regex Numbered();
}

/// <summary>
/// A <see cref="SqlOperation"/> whose statement answers no result set (an INSERT or UPDATE). Marten reads past an operation's
/// result set unless it is marked so, and past one that has none it would skip the next operation's instead: a document saved
/// with a version check later in the batch would read nothing back and fail as a concurrency conflict.
/// </summary>
internal sealed class SqlCommandOperation(string sql, NpgsqlParameter[] parameters) : SqlOperation(sql, parameters), NoDataReturnedCall;
