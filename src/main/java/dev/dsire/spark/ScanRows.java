package dev.dsire.spark;

import dev.dsire.scan.ParquetColumns;
import dev.dsire.scan.ScanRecord;
import dev.dsire.scan.ScanRow;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Scan records as Spark rows of {@link ParquetColumns}. */
final class ScanRows {
    static final StructType SCHEMA = schema();

    private ScanRows() {}

    private static StructType schema() {
        List<StructField> f = new ArrayList<>();
        for (ParquetColumns.Column c : ParquetColumns.ALL) {
            DataType t = switch (c.type()) {
                case STRING -> DataTypes.StringType;
                case INT -> DataTypes.IntegerType;
                case LONG -> DataTypes.LongType;
                case DOUBLE -> DataTypes.DoubleType;
                case BOOLEAN -> DataTypes.BooleanType;
                case INT_ARRAY -> DataTypes.createArrayType(DataTypes.IntegerType, false);
                case DOUBLE_MAP -> DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType, false);
                case INT_MAP -> DataTypes.createMapType(DataTypes.StringType, DataTypes.IntegerType, false);
                case FLOAT_ARRAY -> DataTypes.createArrayType(DataTypes.FloatType, false);
            };
            f.add(DataTypes.createStructField(c.name(), t, !c.name().equals("path") && !c.name().equals("status")));
        }
        return DataTypes.createStructType(f);
    }

    /** A scanned file's rows (one per model that answered it, else one), in the one schema. */
    static List<Row> of(ScanRecord r, String modelSet) {
        List<Row> out = new ArrayList<>();
        for (ScanRow row : ScanRow.of(r, modelSet)) {
            Object[] v = new Object[ParquetColumns.ALL.size()];
            for (int i = 0; i < v.length; i++) {
                ParquetColumns.Column c = ParquetColumns.ALL.get(i);
                Object x = row.get(c.name());
                // Spark's row encoder takes Java arrays and Scala maps, not Java lists and maps
                v[i] = x == null ? null : switch (c.type()) {
                    case INT_ARRAY -> ((List<?>) x).stream().mapToInt(o -> (Integer) o).toArray();
                    case DOUBLE_MAP, INT_MAP -> scala.jdk.javaapi.CollectionConverters.asScala((java.util.Map<?, ?>) x);
                    default -> x;
                };
            }
            out.add(RowFactory.create(v));
        }
        return out;
    }
}
