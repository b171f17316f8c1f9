#include "ui/widgets/dialogs.h"

#include <QCoreApplication>
#include <QInputDialog>
#include <QMessageBox>

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

} // namespace tollgate::dialogs
