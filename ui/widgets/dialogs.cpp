#include "ui/widgets/dialogs.h"

#include "ui/widgets/moneyedit.h"

#include <QCoreApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QVBoxLayout>

namespace tollgate::dialogs {

namespace {

std::optional<Answer> g_nextAnswer;
std::optional<std::optional<QString>> g_nextText;

std::optional<Answer> takeScripted() { return std::exchange(g_nextAnswer, std::nullopt); }

} // namespace

void setNextAnswer(Answer answer) { g_nextAnswer = answer; }
void setNextText(const std::optional<QString>& text) { g_nextText = text; }

Answer askUnsavedChanges(QWidget* parent, const QString& what)
{
    if (auto a = takeScripted())
        return *a;
    QMessageBox box(QMessageBox::Warning, tr("Unsaved changes"), what,
                    QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, parent);
    box.setDefaultButton(QMessageBox::Save);
    switch (box.exec()) {
    case QMessageBox::Save: return Answer::Save;
    case QMessageBox::Discard: return Answer::Discard;
    default: return Answer::Cancel;
    }
}

Answer confirm(QWidget* parent, const QString& title, const QString& text)
{
    if (auto a = takeScripted())
        return *a;
    return QMessageBox::question(parent, title, text) == QMessageBox::Yes ? Answer::Yes : Answer::No;
}

std::optional<QString> askText(QWidget* parent, const QString& title, const QString& label, const QString& value)
{
    if (g_nextText)
        return *std::exchange(g_nextText, std::nullopt);
    bool ok = false;
    const QString text = QInputDialog::getText(parent, title, label, QLineEdit::Normal, value, &ok);
    if (!ok)
        return std::nullopt;
    return text;
}

std::optional<QString> askMoney(QWidget* parent, const QString& title, const QString& label,
                                const std::optional<Money>& value)
{
    if (g_nextText)
        return *std::exchange(g_nextText, std::nullopt);
    QDialog dialog(parent);
    dialog.setWindowTitle(title);
    auto* layout = new QVBoxLayout(&dialog);
    auto* prompt = new QLabel(label, &dialog);
    prompt->setWordWrap(true);
    layout->addWidget(prompt);
    auto* money = new MoneyEdit(QStringLiteral("amount"), value, &dialog);
    layout->addWidget(money);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    layout->addWidget(buttons);
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    // Saved only once it reads as an amount: the preview beside the field says what, or why not.
    const auto update = [money, buttons] { buttons->button(QDialogButtonBox::Ok)->setEnabled(money->value().ok()); };
    QObject::connect(money->lineEdit(), &QLineEdit::textChanged, &dialog, update);
    update();
    dialog.setMinimumWidth(480);
    if (dialog.exec() != QDialog::Accepted)
        return std::nullopt;
    return money->lineEdit()->text();
}

} // namespace tollgate::dialogs
