#pragma once

#include "core/catalog/priceimport.h"

#include <QDialog>

class QCheckBox;
class QLabel;
class QPushButton;
class QTableWidget;

namespace tollgate {

class Console;

// "Update prices from file…": what a price file (Tollgate's catalog format or the public
// model_prices_and_context_window.json) would change in the catalog, per model and component, before anything is
// changed; Apply makes the change in one audited transaction.
class PriceImportDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PriceImportDialog)

public:
    PriceImportDialog(Console& console, QByteArray file, const QString& fileName, QWidget* parent = nullptr);
    // Whether the file could be read; otherwise error() says which entry and field are wrong.
    bool isReadable() const { return m_readable; }
    QString error() const { return m_errorText; }
    int changeCount() const;

    void accept() override;

private:
    void plan();

    Console& m_console;
    QByteArray m_file;
    QString m_fileName;
    std::optional<PriceImport> m_plan;
    bool m_readable = false;
    QString m_errorText;
    QLabel* m_summary = nullptr;
    QLabel* m_skipped = nullptr;
    QLabel* m_error = nullptr;
    QCheckBox* m_addNew = nullptr;
    QCheckBox* m_removeMissing = nullptr;
    QTableWidget* m_table = nullptr;
    QPushButton* m_apply = nullptr;
};

} // namespace tollgate
