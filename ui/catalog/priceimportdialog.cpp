#include "ui/catalog/priceimportdialog.h"

#include "core/catalog/catalog.h"
#include "core/service/service.h"
#include "ui/console.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace tollgate {

namespace {

QString fieldLabel(const QString& key)
{
    if (const PriceComponent* c = priceComponent(key))
        return priceComponentLabel(*c);
    if (key == u"contextWindow")
        return PriceImportDialog::tr("Context window (tokens)");
    if (key == u"maxOutputTokens")
        return PriceImportDialog::tr("Maximum output tokens");
    if (key == u"longContextThreshold")
        return PriceImportDialog::tr("Long-context tier above (tokens)");
    if (key == u"maxImageTokens")
        return PriceImportDialog::tr("Most tokens one image costs");
    return key;
}

} // namespace

PriceImportDialog::PriceImportDialog(Console& console, QByteArray file, const QString& fileName, QWidget* parent)
    : QDialog(parent)
    , m_console(console)
    , m_file(std::move(file))
    , m_fileName(fileName)
{
    setWindowTitle(tr("Update prices from %1").arg(fileName));
    auto* layout = new QVBoxLayout(this);
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("priceImportSummary"));
    m_summary->setWordWrap(true);
    layout->addWidget(m_summary);
    m_addNew =
        new QCheckBox(tr("Add the file's models the catalog does not have (unapproved until you approve them)"), this);
    m_removeMissing = new QCheckBox(tr("Remove the models the file does not list"), this);
    layout->addWidget(m_addNew);
    layout->addWidget(m_removeMissing);
    m_table = new QTableWidget(0, 4, this);
    m_table->setObjectName(QStringLiteral("priceImportChanges"));
    m_table->setHorizontalHeaderLabels({tr("Model"), tr("Price"), tr("Now"), tr("From the file")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    layout->addWidget(m_table, 1);
    m_skipped = new QLabel(this);
    m_skipped->setWordWrap(true);
    m_skipped->setStyleSheet(QStringLiteral("color: palette(mid)"));
    layout->addWidget(m_skipped);
    m_error = new QLabel(this);
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #a61b1b"));
    m_error->hide();
    layout->addWidget(m_error);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    m_apply = buttons->addButton(tr("Apply changes"), QDialogButtonBox::AcceptRole);
    connect(buttons, &QDialogButtonBox::accepted, this, &PriceImportDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &PriceImportDialog::reject);
    layout->addWidget(buttons);
    connect(m_addNew, &QCheckBox::toggled, this, &PriceImportDialog::plan);
    connect(m_removeMissing, &QCheckBox::toggled, this, &PriceImportDialog::plan);
    resize(760, 520);
    plan();
}

int PriceImportDialog::changeCount() const { return m_plan ? int(m_plan->changes.size()) : 0; }

void PriceImportDialog::plan()
{
    auto planned =
        planPriceImport(m_file, *m_console.service().snapshot(), {m_addNew->isChecked(), m_removeMissing->isChecked()});
    m_readable = planned.ok();
    m_table->setRowCount(0);
    if (!planned.ok()) {
        m_plan.reset();
        m_errorText = planned.error().toString();
        m_summary->setText(tr("%1 cannot be read as a price file: %2").arg(m_fileName, m_errorText));
        m_apply->setEnabled(false);
        m_addNew->setEnabled(false);
        m_removeMissing->setEnabled(false);
        return;
    }
    m_plan = std::move(planned.value());
    m_removeMissing->setVisible(m_plan->format == u"tollgate");
    m_summary->setText(
        m_plan->changes.isEmpty()
            ? tr("The catalog already has every price in %1 (%2 models agree).").arg(m_fileName).arg(m_plan->unchanged)
            : tr("%1 would make %2 changes to %3 models and remove %4; %5 models agree already. Prices that follow a "
                 "default (cache writes, the long-context tier) move with the price they follow. Nothing changes "
                 "until you apply.")
                  .arg(m_fileName)
                  .arg(m_plan->changes.size())
                  .arg(m_plan->models.size())
                  .arg(m_plan->removed.size())
                  .arg(m_plan->unchanged));
    for (const PriceChange& c : m_plan->changes) {
        const int row = m_table->rowCount();
        m_table->insertRow(row);
        QString field, before, after;
        switch (c.kind) {
        case PriceChange::Kind::Added: field = tr("new model"); break;
        case PriceChange::Kind::Removed: field = tr("removed"); break;
        case PriceChange::Kind::Changed:
            field = fieldLabel(c.field);
            before = c.before;
            after = c.after;
            break;
        }
        const QStringList cells {c.modelId, field, before, after};
        for (int col = 0; col < cells.size(); ++col) {
            auto* item = new QTableWidgetItem(cells[col]);
            if (col >= 2)
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_table->setItem(row, col, item);
        }
    }
    m_skipped->setText(
        m_plan->skipped.isEmpty() ? QString() : tr("Not applied: %1").arg(m_plan->skipped.join(QStringLiteral("; "))));
    m_apply->setEnabled(!m_plan->changes.isEmpty());
}

void PriceImportDialog::accept()
{
    if (!m_plan)
        return;
    const Status s = m_console.service().catalog().applyPriceImport(*m_plan, Console::actor());
    if (!s.ok()) {
        m_error->setText(s.error().toString());
        m_error->show();
        return;
    }
    QDialog::accept();
}

} // namespace tollgate
